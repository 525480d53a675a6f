"""Date boxes show and take the day first, as dates are written at the desk, and ISO
8601 from links and API clients; a browser's own date box (its locale's order) is not
used."""

import datetime as dt

import pytest
from django import forms

from hms.core.forms import DayField


class Period(forms.Form):
    day = DayField()


@pytest.mark.parametrize("typed", ["08/12/2026", "8/12/2026", "2026-12-08"])
def test_a_day_is_typed_day_first_or_as_iso(typed):
    form = Period({"day": typed})

    assert form.is_valid()
    assert form.cleaned_data["day"] == dt.date(2026, 12, 8)


@pytest.mark.parametrize("typed", ["12/31/2026", "31/02/2026", "yesterday"])
def test_anything_else_is_refused_saying_how_to_write_it(typed):
    form = Period({"day": typed})

    assert not form.is_valid()
    assert form.errors["day"] == ["Enter a date as dd/mm/yyyy (or yyyy-mm-dd)."]


def test_the_box_shows_the_day_first_in_a_text_box():
    html = str(Period(initial={"day": dt.date(2026, 12, 8)})["day"])

    assert 'type="text"' in html
    assert 'value="08/12/2026"' in html
    assert 'placeholder="dd/mm/yyyy"' in html
