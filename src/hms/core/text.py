"""Plain-text input rules shared by every form, serializer and command.

Free text from staff and interfaces is normalised to NFC (so "é" typed two ways is
one string) and refuses control characters, which break printing, HL7 encoding and
PostgreSQL (NUL). Newlines and tabs are allowed only in multi-line fields.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

_ALLOWED_MULTILINE = {"\n", "\r", "\t"}


def clean_text(value: str, *, multiline: bool = False) -> str:
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if unicodedata.category(char) == "Cc" and not (multiline and char in _ALLOWED_MULTILINE):
            raise ValidationError(
                "Contains a control character (U+%(cp)04X), which is not allowed.",
                code="control_character",
                params={"cp": ord(char)},
            )
    return value.strip()


def validate_single_line(value: str) -> None:
    clean_text(value)
