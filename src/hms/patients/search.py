"""Name search keys, and how a typed query is read.

A patient's names give rows in PatientNameKey (`name_keys`). Two kinds serve the front
desk's search:

- the word key, "t" + word + " " + whole folded name + " ". One B-tree range on it finds
  every patient with a word equal to, or starting with, what was typed, already in
  name order (exact words first, since the space sorts before every letter), without
  reading the patient rows; the rest of the name inside the key lets the other words
  of a query be checked in the same scan (a substring search for " smi").
- the phonetic key, "m" + Metaphone, the fallback when nothing else matches.

The prefix ("p"), one-letter-deleted ("d") and phonetic keys are also what the
duplicate matcher and the FHIR name search look up by equality (`query_keys`).

Typos are found by trying, at query time, every spelling one edit away from a typed
word (deleted, swapped, replaced or added letter) against the word keys: a few hundred
index probes, which keeps one row per patient word instead of one per misspelling.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

import jellyfish

from hms.core.names import tokens

PREFIX_KEYS = 4  # prefixes longer than this are checked on the candidates
TYPO_MIN, TYPO_MAX = 4, 12
QUERY_TYPO_MIN = 3  # "mry" for Mary: typed words are tried one edit away from 3 letters
KEY_LENGTH = 460  # the model's max_length: "t" + word + the whole search name
WORD_LENGTH = 40
QUERY_WORDS = 6
LAST_CHAR = "\U0010ffff"  # sorts after every character, bytewise and by code point

# Letters a typo may bring in, by script; other scripts use the letters typed.
_ALPHABETS = (
    ("a", "z"),
    ("α", "ω"),
    ("а", "я"),
    ("א", "ת"),
    ("ء", "ي"),
)


def deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _phonetic(token: str) -> str:
    return jellyfish.metaphone(token) if token.isascii() and token.isalpha() else ""


@lru_cache(maxsize=65536)
def token_keys(token: str) -> frozenset[str]:
    # Cached: names repeat, and a bulk import computes keys for a million of them.
    keys = {f"p{token[:k]}" for k in range(1, min(len(token), PREFIX_KEYS) + 1)}
    if TYPO_MIN <= len(token) <= TYPO_MAX:
        keys |= {f"d{v}" for v in deletes(token) | {token}}
    if code := _phonetic(token):
        keys.add(f"m{code}")
    return frozenset(k[:WORD_LENGTH] for k in keys)


def word_key(word: str, search_name: str) -> str:
    return f"t{word[:WORD_LENGTH]} {search_name} "[:KEY_LENGTH]


def name_keys(search_name: str) -> set[str]:
    """Every key a patient with this folded name gets (see the module docstring)."""
    words = search_name.split()[:12]
    keys: set[str] = set()
    for word in words:
        keys |= token_keys(word)
        keys.add(word_key(word, search_name))
    return keys


def query_keys(token: str) -> set[str]:
    """Keys any of which a patient must hold for `token` to match a name of theirs
    (prefix, one typo, or sound), for lookups by equality."""
    keys = {f"p{token[:PREFIX_KEYS]}"}
    if TYPO_MIN <= len(token) <= TYPO_MAX:
        keys |= {f"d{v}" for v in deletes(token) | {token}}
    if len(token) >= TYPO_MIN and (code := _phonetic(token)):
        keys.add(f"m{code}")
    return {k[:WORD_LENGTH] for k in keys}


def phonetic_key(word: str) -> str:
    code = _phonetic(word)
    return f"m{code}"[:WORD_LENGTH] if code else ""


def word_range(word: str) -> tuple[str, str]:
    """Bounds of the word keys of names with a word equal to or starting with `word`."""
    low = f"t{word[:WORD_LENGTH]}"
    return low, low + LAST_CHAR


def exact_word_range(word: str) -> tuple[str, str]:
    """Bounds of the word keys of names with exactly the word `word`."""
    low = f"t{word[:WORD_LENGTH]} "
    return low, low[:-1] + "!"


def _alphabet(word: str) -> set[str]:
    letters = set(word)
    for low, high in _ALPHABETS:
        if any(low <= c <= high for c in word):
            letters |= {chr(c) for c in range(ord(low), ord(high) + 1)}
    return letters


def typo_variants(word: str) -> set[str]:
    """Spellings one edit from `word` (Damerau-Levenshtein), except those the prefix
    range already covers."""
    if not QUERY_TYPO_MIN <= len(word) <= TYPO_MAX:
        return set()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    letters = _alphabet(word)
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in letters}
    found |= {a + c + b for a, b in splits for c in letters}
    return {v for v in found if len(v) > 1 and not v.startswith(word)}


# --- reading what was typed --------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_LOCAL_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
# Countries that write the month before the day (04/05/1980 is 5 April).
MONTH_FIRST = frozenset({"US", "PH", "FM", "MH", "PW"})


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...] = ()  # folded name words
    number: str = ""  # the chunks holding digits: an MRN, phone or ID number
    text: str = ""  # everything but a date, for ID numbers that contain letters
    birth_date: dt.date | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def _date(chunk: str, country: str) -> dt.date | None:
    if match := _ISO_DATE.match(chunk):
        year, month, day = (int(g) for g in match.groups())
    elif match := _LOCAL_DATE.match(chunk):
        first, second, year = (int(g) for g in match.groups())
        month, day = (first, second) if country in MONTH_FIRST else (second, first)
    else:
        raise LookupError(chunk)
    return dt.date(year, month, day)


def read_query(text: str, *, country: str = "") -> Query:
    """Split a search box's text into name words, a number, and a birth date."""
    words: list[str] = []
    numbers: list[str] = []
    rest: list[str] = []
    birth_date = None
    problems = []
    for chunk in text.split():
        try:
            birth_date = _date(chunk, country)
            continue
        except LookupError:
            pass
        except ValueError:
            problems.append(f"{chunk} is not a date.")
            continue
        rest.append(chunk)
        if any(c.isdigit() for c in chunk):
            numbers.append(chunk)
        else:
            words.extend(tokens(chunk))
    return Query(
        words=tuple(dict.fromkeys(w[:WORD_LENGTH] for w in words))[:QUERY_WORDS],
        number=" ".join(numbers),
        text=" ".join(rest),
        birth_date=birth_date,
        problems=tuple(problems),
    )


def word_quality(word: str, name_words: list[str], typos: set[str]) -> int:
    """3 when `word` is one of the name's words, 2 when it starts one, 1 when it is
    one typo away from one, else 0: the ranking the SQL computes, for rows ranked in
    Python."""
    best = 0
    for name_word in name_words:
        if name_word == word:
            return 3
        if name_word.startswith(word):
            best = 2
        elif best == 0 and name_word in typos:
            best = 1
    return best


def similarity(words: tuple[str, ...], search_name: str) -> float:
    """How close a name is to the words typed, for ranking sound-alike matches."""
    names = search_name.split() or [""]
    total = sum(max(jellyfish.jaro_winkler_similarity(w, n) for n in names) for w in words)
    return total / max(1, len(words))
