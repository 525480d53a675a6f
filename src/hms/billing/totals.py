"""Invoice arithmetic, free of the database: each line rounded on its own, discounts
spread over lines, totals as sums of the rounded lines. So an invoice always balances:
total == sum of line totals == subtotal - discount + tax, to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from hms.core.money import minor_units, round_money

_HUNDRED = Decimal(100)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    discount: Decimal
    tax: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


def gross_of(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    return round_money(quantity * unit_price, currency)


def line_amounts(
    *, gross: Decimal, discount: Decimal, tax_rate: Decimal, currency: str
) -> LineAmounts:
    """A line's amounts: tax (a percentage) is charged on what remains after the
    discount, as VAT is on the price actually paid."""
    net = gross - discount
    tax = round_money(net * tax_rate / _HUNDRED, currency)
    return LineAmounts(gross, discount, tax, net + tax)


def totals_of(lines: Sequence[LineAmounts]) -> Totals:
    subtotal = sum((line.gross for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    return Totals(subtotal, discount, tax, sum((line.line_total for line in lines), ZERO))


def percent_discounts(grosses: Sequence[Decimal], percent: Decimal, currency: str) -> list[Decimal]:
    """A `percent` discount on each line, rounded per line."""
    return [round_money(g * percent / _HUNDRED, currency) for g in grosses]


def spread_discount(grosses: Sequence[Decimal], amount: Decimal, currency: str) -> list[Decimal]:
    """Split a discount of `amount` over the lines in proportion to their gross, in
    whole minor units, the leftover units going to the largest remainders (Hamilton's
    method), so the parts add up to `amount` exactly and none exceeds its line.
    `amount` must be rounded and at most the sum of `grosses`."""
    subtotal = sum(grosses, ZERO)
    if amount == 0 or subtotal == 0:
        return [ZERO for _ in grosses]
    step = Decimal(1).scaleb(-minor_units(currency))
    exact = [amount * g / subtotal for g in grosses]
    parts = [(share / step).to_integral_value(ROUND_FLOOR) * step for share in exact]
    leftover = int((amount - sum(parts, ZERO)) / step)
    by_remainder = sorted(
        range(len(grosses)), key=lambda i: (exact[i] - parts[i], -i), reverse=True
    )
    for i in by_remainder[:leftover]:
        parts[i] += step
    return [round_money(p, currency) for p in parts]
