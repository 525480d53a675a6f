"""Name folding for search and matching: accents and case ignored, scripts kept."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’.,]+")


def fold(text: str) -> str:
    """Lower-case, strip accents (é -> e), keep letters of every script."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS.split(fold(text)) if t]


def search_name(*parts: str) -> str:
    return " ".join(t for part in parts for t in tokens(part))[:410]
