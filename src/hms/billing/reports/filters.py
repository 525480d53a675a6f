"""The filters of the reports: a period of days, or the day receivables are aged to.
The pages and the REST API read their query strings through the same forms, so a bad
date gets the same message naming the field through either door."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms

from hms.core.errors import InvalidInput
from hms.core.forms import DayField

# A daily report over years would be thousands of rows; a year is what finance asks for.
MAX_DAYS = 366
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def _day(label: str) -> forms.DateField:
    return DayField(label=label, required=False)


def _in_range(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(f"Enter a date between {EARLIEST} and {LATEST}.")
    return value


class PeriodForm(forms.Form):
    """From and to, both included; a month ending today when none is given."""

    date_from = _day("From")
    date_to = _day("To")

    def __init__(self, data: Mapping[str, Any], *, today: dt.date) -> None:
        super().__init__(data)
        self.today = today

    def clean_date_from(self):
        return _in_range(self.cleaned_data.get("date_from"))

    def clean_date_to(self):
        return _in_range(self.cleaned_data.get("date_to"))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        last = cleaned.get("date_to") or self.today
        first = cleaned.get("date_from") or last - dt.timedelta(days=30)
        if first > last:
            self.add_error("date_to", "The end of the period is before its start.")
        elif (last - first).days >= MAX_DAYS:
            self.add_error("date_to", f"Choose a period of at most {MAX_DAYS} days.")
        cleaned.update(date_from=first, date_to=last)
        return cleaned


class AsOfForm(forms.Form):
    """The day invoices are aged to; today when none is given."""

    as_of = _day("As of")

    def __init__(self, data: Mapping[str, Any], *, today: dt.date) -> None:
        super().__init__(data)
        self.today = today

    def clean_as_of(self):
        return _in_range(self.cleaned_data.get("as_of")) or self.today


def first_error(form: forms.Form) -> InvalidInput:
    """The form's first error as the InvalidInput the REST API answers 400 with."""
    name, errors = next(iter(form.errors.items()))
    label = form.fields[name].label if name in form.fields else ""
    return InvalidInput(f"{label or name}: {errors[0]}", field=name)
