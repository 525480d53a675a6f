"""Plain-text input rules shared by every form, serializer and command.

Free text from staff and interfaces is normalised to NFC (so "é" typed two ways is
one string) and refuses control characters, which break printing, HL7 encoding and
PostgreSQL (NUL). Newlines and tabs are allowed only in multi-line fields. Text made
only of characters that show nothing (zero-width spaces and joiners, bidi marks, odd
spaces) is refused too: a name nobody can read or search for.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hms.core.errors import InvalidInput

_ALLOWED_MULTILINE = {"\n", "\r", "\t", "\u2028", "\u2029"}
# Bidi embeddings and overrides make text display in another order than it is stored
# (a name that reads differently on screen and in the database: "Trojan Source").
# Marks such as U+200F RIGHT-TO-LEFT MARK stay allowed: right-to-left names need them.
_BIDI_OVERRIDES = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e"}
_LINE_SEPARATORS = {"\u2028", "\u2029"}
_REFUSED_FORMAT = _BIDI_OVERRIDES | _LINE_SEPARATORS
# Format characters, controls, separators and lone combining marks draw nothing by
# themselves; nor do these letters and symbols (Hangul fillers, the blank Braille cell).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
_BLANK_LETTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES or char in _BLANK_LETTERS


def clean_text(value: str, *, multiline: bool = False) -> str:
    if value.isascii() and value.isprintable():
        # Already NFC, and the only ASCII characters refused are the unprintable ones
        # (C0 controls and DEL): most input, without a look at each character.
        return value.strip()
    value = unicodedata.normalize("NFC", value)
    for char in value:
        refused = unicodedata.category(char) == "Cc" or char in _REFUSED_FORMAT
        if refused and not (multiline and char in _ALLOWED_MULTILINE):
            raise ValidationError(
                "Contains a control character (U+%(cp)04X), which is not allowed.",
                code="control_character",
                params={"cp": ord(char)},
            )
    value = value.strip()
    if value and all(_invisible(char) for char in value):
        raise ValidationError(
            _("Contains only characters that show nothing (such as zero-width spaces)."),
            code="invisible",
        )
    return value


def validate_single_line(value: str) -> None:
    clean_text(value)


def reason_text(value: object, field: str, *, required: bool = False, limit: int = 300) -> str:
    """A service's free-text argument (a reason, a note): cleaned, or InvalidInput
    naming `field`."""
    if not isinstance(value, str):
        raise InvalidInput("Must be text.", field=field)
    try:
        value = clean_text(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field) from exc
    if len(value) > limit:
        raise InvalidInput(f"At most {limit} characters.", field=field)
    if required and not value:
        raise InvalidInput("Give a reason.", field=field)
    return value
