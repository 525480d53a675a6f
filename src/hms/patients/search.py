"""Name search keys: every name token gives prefix keys, typo keys (the token with one
letter deleted, so "jonh" and "john" share "jon" / "joh") and a phonetic key. A name
query becomes one indexed equality lookup per query token on both databases."""

from __future__ import annotations

from collections.abc import Iterable

import jellyfish

from hms.patients.names import tokens

PREFIX_KEYS = 4  # prefixes longer than this are checked on the candidates
TYPO_MIN, TYPO_MAX = 4, 12


def deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _phonetic(token: str) -> str:
    return jellyfish.metaphone(token) if token.isascii() and token.isalpha() else ""


def token_keys(token: str) -> set[str]:
    keys = {f"p{token[:k]}" for k in range(1, min(len(token), PREFIX_KEYS) + 1)}
    if TYPO_MIN <= len(token) <= TYPO_MAX:
        keys |= {f"d{v}" for v in deletes(token) | {token}}
    if code := _phonetic(token):
        keys.add(f"m{code}")
    return keys


def name_keys(search_name: str) -> set[str]:
    keys: set[str] = set()
    for token in search_name.split()[:12]:
        keys |= token_keys(token)
    return {k[:40] for k in keys}


def query_keys(token: str) -> set[str]:
    """Keys any of which a patient must hold for `token` to match a name of theirs."""
    keys = {f"p{token[:PREFIX_KEYS]}"}
    if TYPO_MIN <= len(token) <= TYPO_MAX:
        keys |= {f"d{v}" for v in deletes(token) | {token}}
    if len(token) >= TYPO_MIN and (code := _phonetic(token)):
        keys.add(f"m{code}")
    return {k[:40] for k in keys}


def query_tokens(text: str) -> list[str]:
    return tokens(text)[:6]


def rank(query: Iterable[str], search_name: str) -> float:
    """1.0 when every query token starts a name token; lower with typos."""
    names = search_name.split()
    total = 0.0
    for q in query:
        best = 0.0
        for n in names:
            if n.startswith(q):
                best = 1.0
                break
            best = max(best, jellyfish.jaro_winkler_similarity(q, n) * 0.9)
        total += best
    return total / max(1, len(list(query)))
