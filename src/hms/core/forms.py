from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hms.core.errors import DomainError
from hms.core.money import parse_money

# How dates are typed and shown in a box: day first, as the registration desk types
# birth dates and as ID cards print them. A browser's own date box shows the date in
# the browser's locale (12/08/2026 in a US English one), so boxes are plain text.
DAY_FORMAT = "%d/%m/%Y"
DAY_PLACEHOLDER = _("dd/mm/yyyy")


class DayField(forms.DateField):
    """A date typed day first (08/12/2026), or as ISO 8601 (2026-12-08), which links
    and API clients send."""

    widget = forms.DateInput(
        format=DAY_FORMAT,
        attrs={"placeholder": DAY_PLACEHOLDER, "inputmode": "numeric", "autocomplete": "off"},
    )
    input_formats = [DAY_FORMAT, "%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a date as dd/mm/yyyy (or yyyy-mm-dd).")}


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
