"""The payer/patient split: payer + patient == total, neither negative, each rounded
to the currency, whatever the lines and the plan's terms (hypothesis)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hms.billing.insurance import split
from hms.billing.models import Coverage, Plan
from hms.core.money import round_money

amounts = st.decimals(min_value="0", max_value="999999.99", places=2)
percents = st.decimals(min_value="0", max_value="100", places=2)
currencies = st.sampled_from(["KES", "UGX", "USD"])


def coverage_of(copay, coinsurance, deductible) -> Coverage:
    plan = Plan(copay=copay, coinsurance_percent=coinsurance, deductible=deductible)
    return Coverage(plan=plan)


@given(
    lines=st.lists(amounts, max_size=15),
    copay=amounts,
    coinsurance=percents,
    deductible=amounts,
    met=amounts,
    currency=currencies,
)
def test_the_split_adds_up_and_is_never_negative(
    lines, copay, coinsurance, deductible, met, currency
):
    lines = [round_money(line, currency) for line in lines]

    result = split(
        lines, coverage_of(copay, coinsurance, deductible), currency=currency, deductible_met=met
    )

    assert result.payer + result.patient == sum(lines, Decimal(0))
    assert result.payer >= 0
    assert result.patient >= 0
    assert 0 <= result.deductible_applied <= result.patient
    assert result.patient == round_money(result.patient, currency)


def test_the_rules_apply_in_order():
    plan = coverage_of(Decimal("200"), Decimal("10"), Decimal("500"))

    result = split([Decimal("2000.00"), Decimal("856.00")], plan, currency="KES")

    assert (result.patient, result.payer, result.deductible_applied) == (
        Decimal("915.60"),
        Decimal("1940.40"),
        Decimal("500.00"),
    )


def test_a_small_bill_is_all_co_pay():
    plan = coverage_of(Decimal("200"), Decimal("10"), Decimal("500"))

    result = split([Decimal("150.00")], plan, currency="KES")

    assert (result.patient, result.payer) == (Decimal("150.00"), Decimal("0.00"))
