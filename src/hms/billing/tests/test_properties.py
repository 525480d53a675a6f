"""Every invoice balances: total == sum of rounded line totals == subtotal - discount +
tax, whatever the lines, discounts and tax rates (hypothesis)."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hms.billing import services, totals
from hms.billing.models import Charge, Invoice, InvoiceLine

quantities = st.decimals(min_value="0.001", max_value="500", places=3)
prices = st.decimals(min_value="0", max_value="99999.99", places=2)
rates = st.sampled_from([Decimal(0), Decimal("8"), Decimal("16"), Decimal("12.5")])
lines = st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=12)
currencies = st.sampled_from(["KES", "UGX", "USD"])


def _balanced(invoice_lines, currency):
    result = totals.totals_of(invoice_lines)
    assert result.total == sum(line.line_total for line in invoice_lines)
    assert result.total == result.subtotal - result.discount_total + result.tax_total
    for line in invoice_lines:
        assert line.line_total == totals.round_money(line.line_total, currency)
        assert 0 <= line.discount <= line.gross
    return result


@given(lines=lines, percent=st.decimals(min_value="0", max_value="100", places=2), cur=currencies)
def test_percentage_discounts_keep_every_invoice_balanced(lines, percent, cur):
    grosses = [totals.gross_of(q, p, cur) for q, p, _ in lines]
    discounts = totals.percent_discounts(grosses, percent, cur)
    amounts = [
        totals.line_amounts(gross=g, discount=d, tax_rate=r, currency=cur)
        for g, d, (_, _, r) in zip(grosses, discounts, lines, strict=True)
    ]

    _balanced(amounts, cur)


@given(lines=lines, share=st.fractions(min_value=0, max_value=1), cur=currencies)
def test_amount_discounts_add_up_exactly_and_keep_it_balanced(lines, share, cur):
    grosses = [totals.gross_of(q, p, cur) for q, p, _ in lines]
    subtotal = sum(grosses)
    amount = totals.round_money(
        subtotal * Decimal(share.numerator) / Decimal(share.denominator), cur
    )
    amount = min(amount, subtotal)
    discounts = totals.spread_discount(grosses, amount, cur)
    amounts = [
        totals.line_amounts(gross=g, discount=d, tax_rate=r, currency=cur)
        for g, d, (_, _, r) in zip(grosses, discounts, lines, strict=True)
    ]

    result = _balanced(amounts, cur)
    assert result.discount_total == amount


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(st.tuples(quantities, prices), min_size=1, max_size=5),
    percent=st.decimals(min_value="0", max_value="100", places=2),
)
def test_invoices_written_by_the_services_balance(tariff, supervisor, patient, lines, percent):
    Charge.objects.filter(patient=patient).update(invoice=None)
    InvoiceLine.objects.all().delete()
    Invoice.objects.all().delete()
    Charge.objects.all().delete()
    for n, (quantity, price) in enumerate(lines):
        services.capture_charge(
            actor=supervisor,
            patient=patient,
            item_code="FBC",
            source=f"p{n}",
            quantity=quantity,
            unit_price=price,
            service_date=dt.date(2026, 3, 2),
        )
    invoice = services.draft_invoice(actor=supervisor, patient=patient)

    invoice = services.apply_discount(
        actor=supervisor, invoice=invoice, percent=percent, reason="p"
    )

    stored = list(invoice.lines.all())
    assert invoice.total == sum(line.line_total for line in stored)
    assert invoice.subtotal == sum(line.gross for line in stored)
    assert invoice.total == invoice.subtotal - invoice.discount_total + invoice.tax_total
