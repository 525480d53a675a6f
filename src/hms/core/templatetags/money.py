"""`{{ amount|money:currency }}`: an amount in the currency's format (hms.core.money)."""

from __future__ import annotations

from django import template

from hms.core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    return format_money(amount, currency)
