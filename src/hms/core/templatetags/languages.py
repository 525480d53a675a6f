"""`{{ tag|language_name }}`: a language by its name, not its code (hms.core.languages)."""

from __future__ import annotations

from django import template

from hms.core.languages import language_name as name_of

register = template.Library()


@register.filter
def language_name(tag: str) -> str:
    return name_of(tag)
