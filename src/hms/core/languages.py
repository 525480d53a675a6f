"""Languages as people read them: a BCP 47 tag ("sw-KE") by its name ("Swahili
(Kenya)"), in the reader's language, from the Unicode CLDR data babel ships."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import translation


def language_name(tag: str, *, shown_in: str | None = None) -> str:
    """The name of the language `tag` in `shown_in` (default: the active language),
    else in English, else the tag itself (a tag CLDR does not know)."""
    reader = shown_in or translation.get_language() or settings.LANGUAGE_CODE
    try:
        language = Locale.parse(str(tag), sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return str(tag)
    for name_in in (reader, "en"):
        try:
            name = language.get_display_name(Locale.parse(name_in, sep="-"))
        except (ValueError, UnknownLocaleError):
            continue
        if name:
            return name
    return str(tag)
