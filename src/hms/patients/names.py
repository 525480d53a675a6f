"""The registry's folded name: what its search keys and matching are built from."""

from __future__ import annotations

from hms.core.names import tokens


def search_name(*parts: str) -> str:
    return " ".join(t for part in parts for t in tokens(part))[:410]


def _capitalised(word: str) -> str:
    # "amina" typed in a hurry becomes "Amina"; "McDonald" typed with care stays.
    return word[:1].upper() + word[1:] if word.islower() else word


def split_name(text: str) -> tuple[str, str]:
    """One typed name as (given names, family name): the last word is the family name,
    the words before it the given names; one word is a given name alone."""
    words = [_capitalised(w) for w in text.split()]
    if len(words) < 2:
        return (words[0] if words else ""), ""
    return " ".join(words[:-1]), words[-1]
