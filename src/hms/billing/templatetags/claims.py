"""`{{ code|denial_meaning }}`: what a payer's adjustment code ("CO-50") means."""

from __future__ import annotations

from django import template

from hms.billing.carc import meaning

register = template.Library()


@register.filter
def denial_meaning(code: str) -> str:
    return meaning(code)
