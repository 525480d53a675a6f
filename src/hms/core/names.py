"""Name folding for search and matching: accents and case ignored, scripts kept.

Shared by every list of people searched by name: the patient registry, the staff directory.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-'’.,]+")

# Letters that Unicode does not decompose but that clerks type without the mark
# (Søren / Soren, Łukasz / Lukasz, Yıldız / Yildiz), and Arabic letter forms that
# spellings of one name use interchangeably (taa marbuta / haa, alif maqsura / yaa).
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ة": "ه",
        "ى": "ي",
    }
)


def _kept(char: str) -> bool:
    # Combining marks (accents, Arabic and Hebrew vowel points) and format characters
    # (bidi marks, zero-width joiners, the Arabic tatweel) never change who a name is.
    return not unicodedata.combining(char) and unicodedata.category(char) != "Cf" and char != "ـ"


def fold(text: str) -> str:
    """Lower-case, strip accents (é -> e), keep letters of every script."""
    if text.isascii():
        # Nothing in ASCII decomposes, is a mark or is translated: most names, at
        # a fraction of the cost (a bulk import folds millions).
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if _kept(c))
    return unicodedata.normalize("NFC", stripped.casefold()).translate(_LETTERS)


def tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS.split(fold(text)) if t]
