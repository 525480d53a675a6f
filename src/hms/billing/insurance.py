"""The payer/patient split of an invoice under a plan's cost sharing, free of the
database: Decimal in, Decimal out, each portion rounded to the currency.

The patient pays, in this order (the usual order of US and Kenyan plans alike):
1. the co-pay, a fixed amount per invoice;
2. then what is left of the yearly deductible, out of what remains;
3. then the co-insurance percentage of what remains after that.
The payer pays the rest. Each step takes at most what remains, so neither portion is
negative and the two always add up to the total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from hms.core.money import round_money

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Split:
    payer: Decimal
    patient: Decimal
    deductible_applied: Decimal  # the part of `patient` that went to the deductible


def split(
    total_lines: Iterable[Decimal],
    coverage,
    *,
    currency: str,
    deductible_met: Decimal = ZERO,
) -> Split:
    """Split the sum of `total_lines` (rounded line totals, none negative) between the
    payer and the patient under `coverage.plan`'s terms, `deductible_met` being what the
    patient has already paid towards this year's deductible. ValueError for a negative
    line."""
    lines = list(total_lines)
    if any(line < 0 for line in lines):
        raise ValueError("an invoice line is never negative")
    total = round_money(sum(lines, ZERO), currency)
    plan = coverage.plan
    copay = min(total, round_money(plan.copay, currency))
    remaining = total - copay
    deductible_left = max(round_money(plan.deductible - deductible_met, currency), ZERO)
    deductible = min(remaining, deductible_left)
    remaining -= deductible
    coinsurance = min(remaining, round_money(remaining * plan.coinsurance_percent / 100, currency))
    patient = copay + deductible + coinsurance
    return Split(payer=total - patient, patient=patient, deductible_applied=deductible)
