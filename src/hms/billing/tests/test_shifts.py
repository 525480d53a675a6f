"""A cashier's shift: open with a float, take money in it, close with a count (the
variance per method), hand over; takings by method."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hms.billing import payment_selectors, services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Shift, ShiftCount
from hms.core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def test_open_take_close_with_variance_and_hand_over(
    final_invoice, cashier, supervisor, facility, make_user
):
    # given: a float of 500, cash 1,000 and a card 856 taken, 100 cash refunded
    shift = services.open_shift(actor=cashier, facility=facility, opening_float="500")
    services.take_payment(actor=cashier, invoice=final_invoice, amount="1000", method="cash")
    services.take_payment(
        actor=cashier, invoice=final_invoice, amount="856", method="card", reference="T-1"
    )
    services.open_shift(actor=supervisor, facility=facility, opening_float="0")
    services.refund_invoice(
        actor=supervisor, invoice=final_invoice, amount="100", method="cash", reason="overcharge"
    )
    takings = payment_selectors.shift_takings(shift=shift)
    assert takings == [
        {"method": "card", "received": Decimal("856.00"), "refunded": 0, "net": Decimal("856.00")},
        {
            "method": "cash",
            "received": Decimal("1000.00"),
            "refunded": 0,
            "net": Decimal("1000.00"),
        },
    ]

    # when: the drawer holds 1,480 (20 short) and the card slips add up
    closed = services.close_shift(
        actor=cashier, shift=shift, counts={"cash": "1480", "card": "856"}, note="busy day"
    )

    # then
    assert closed.status == Shift.Status.CLOSED
    assert (closed.expected_total, closed.counted_total, closed.variance) == (
        Decimal("2356.00"),
        Decimal("2336.00"),
        Decimal("-20.00"),
    )
    cash = ShiftCount.objects.get(shift=shift, method="cash")
    assert (cash.expected, cash.counted, cash.variance) == (
        Decimal("1500.00"),
        Decimal("1480.00"),
        Decimal("-20.00"),
    )
    # no more cash in a closed shift
    with pytest.raises(Conflict) as exc:
        services.take_payment(actor=cashier, invoice=final_invoice, amount="1", method="cash")
    assert exc.value.code == BillingErrorCode.NO_OPEN_SHIFT

    relief = make_user("cashier")
    handed = services.hand_over_shift(actor=cashier, shift=shift, to=relief)
    assert (handed.status, handed.handed_over_to) == (Shift.Status.HANDED_OVER, relief)


def test_one_open_shift_per_cashier(cashier, facility):
    services.open_shift(actor=cashier, facility=facility, opening_float="0")

    with pytest.raises(Conflict) as exc:
        services.open_shift(actor=cashier, facility=facility, opening_float="10")

    assert exc.value.code == BillingErrorCode.SHIFT_ALREADY_OPEN
    assert Shift.objects.count() == 1


@pytest.mark.parametrize(
    ("counts", "field"),
    [
        ({}, "counts.cash"),
        ({"cash": "-1"}, "counts.cash"),
        ({"cash": 10.5}, "counts.cash"),
        ({"cash": "1", "cheque": "1"}, "counts.cheque"),
    ],
)
def test_a_close_needs_a_proper_count(cashier, facility, counts, field):
    shift = services.open_shift(actor=cashier, facility=facility, opening_float="100")

    with pytest.raises(InvalidInput) as exc:
        services.close_shift(actor=cashier, shift=shift, counts=counts)

    assert exc.value.field == field
    shift.refresh_from_db()
    assert shift.status == Shift.Status.OPEN
    assert ShiftCount.objects.count() == 0


def test_only_the_cashier_closes_and_hands_over_once(cashier, make_user, facility, clerk):
    shift = services.open_shift(actor=cashier, facility=facility, opening_float="0")
    other = make_user("cashier")
    with pytest.raises(NotPermitted):
        services.close_shift(actor=other, shift=shift, counts={"cash": "0"})
    with pytest.raises(Conflict) as exc:
        services.hand_over_shift(actor=cashier, shift=shift, to=other)
    assert exc.value.code == BillingErrorCode.SHIFT_NOT_CLOSED

    services.close_shift(actor=cashier, shift=shift, counts={"cash": "0"})
    with pytest.raises(Conflict):
        services.close_shift(actor=cashier, shift=shift, counts={"cash": "0"})
    for wrong in (cashier, clerk):
        with pytest.raises(InvalidInput) as exc:
            services.hand_over_shift(actor=cashier, shift=shift, to=wrong)
        assert exc.value.field == "to"
