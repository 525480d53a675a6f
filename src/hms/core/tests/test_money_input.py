"""Money as people and API clients type it (hms.core.money.parse_money): one rule for
the pages' MoneyField and the API's, so both doors take and refuse the same text."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from hms.core.api.fields import MoneyField as ApiMoneyField
from hms.core.forms import MoneyField as FormMoneyField
from hms.core.money import MAX_AMOUNT, parse_money

WRITTEN_PLAINLY = re.compile(r"[0-9]+(\.[0-9]{1,2})?", re.ASCII)


class _Form(forms.Form):
    amount = FormMoneyField()


class _Body(serializers.Serializer):
    amount = ApiMoneyField()


def by_page(text: str) -> Decimal | None:
    form = _Form({"amount": text})
    return form.cleaned_data["amount"] if form.is_valid() else None


def by_api(text: str) -> Decimal | None:
    body = _Body(data={"amount": text})
    return body.validated_data["amount"] if body.is_valid() else None


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        " 10 ",
        "10 ",
        "\uff11\uff10",
        "\u0661\u0660",
        "NaN",
        "Infinity",
        "-Infinity",
        "10.005",
        "1,000",
        "+10",
        ".5",
        "10.",
        "0x10",
        "-5",
        "99999999999",
        "",
    ],
)
def test_what_is_not_an_amount_written_plainly_is_refused_by_both_doors(text):
    assert by_page(text) is None
    assert by_api(text) is None


@pytest.mark.parametrize(("text", "amount"), [("10", "10"), ("12.50", "12.50"), ("0.5", "0.5")])
def test_plain_amounts_are_taken_by_both_doors(text, amount):
    assert by_page(text) == by_api(text) == Decimal(amount)


@given(st.text(max_size=14))
def test_both_doors_take_exactly_the_plainly_written_amounts(text):
    plain = bool(WRITTEN_PLAINLY.fullmatch(text)) and Decimal(text) <= MAX_AMOUNT
    expected = Decimal(text) if plain else None
    assert by_page(text) == expected
    assert by_api(text) == expected


@given(st.decimals(min_value=0, max_value=10**9, places=2))
def test_every_amount_written_with_cents_comes_back_as_written(amount):
    assert parse_money(str(amount)) == amount


def test_the_currency_decides_the_decimals():
    assert parse_money("1500", currency="UGX") == Decimal(1500)
    with pytest.raises(ValueError, match="UGX amounts have no decimals"):
        parse_money("1500.50", currency="UGX")
    assert parse_money("10.25", currency="KES") == Decimal("10.25")


def test_a_minus_only_where_a_negative_means_something():
    assert parse_money("-10.50", allow_negative=True) == Decimal("-10.50")
    with pytest.raises(ValueError, match="below zero"):
        parse_money("-10.50")


def test_json_integers_are_amounts_and_floats_are_not():
    assert _Body(data={"amount": 10}).is_valid()
    assert not _Body(data={"amount": 10.5}).is_valid()
    assert not _Body(data={"amount": True}).is_valid()
