"""Amounts as people read them: the currency's decimals and thousands separators."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from hms.core.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1302.40000000000"), "KES", "1,302.40"),
        (Decimal("1302.4"), "UGX", "1,302"),
        (Decimal("1234567.005"), "USD", "1,234,567.01"),
        (Decimal("-10"), "KES", "-10.00"),
        (0, "KES", "0.00"),
        (None, "KES", ""),
    ],
)
def test_an_amount_reads_in_the_currencys_format(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_templates_show_amounts_through_the_money_filter():
    template = Template("{% load money %}{{ amount|money:currency }} {{ currency }}")

    shown = template.render(Context({"amount": Decimal("2856"), "currency": "KES"}))

    assert shown == "2,856.00 KES"
