from __future__ import annotations

from django import forms

from hms.core.errors import DomainError
from hms.core.money import parse_money


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form, against its field when the form has it."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class MoneyField(forms.CharField):
    """An amount of money typed in a box: plain digits, at most the currency's decimals
    (`hms.core.money.parse_money`, the rule the API's MoneyField applies too). Spaces
    around it are an error, not trimmed: " 10 " is not how an amount is written."""

    def __init__(self, *, currency: str = "", allow_negative: bool = False, **kwargs):
        self.currency, self.allow_negative = currency, allow_negative
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_money(value, currency=self.currency, allow_negative=self.allow_negative)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
