"""A cashier's shift: opened with a float, the money taken in it counted at the close
(expected against counted, per method, the variance kept), then handed over.

Cash is taken only inside an open shift (hms.billing.services.payments locks the shift
row while it takes money), so a closed shift's count never changes after the close.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Payment, PaymentMethod, Refund, Shift, ShiftCount
from hms.billing.services._common import amount_in
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.core.models import Facility, author
from hms.core.money import round_money
from hms.core.text import reason_text

ZERO = Decimal("0.00")


def open_shift(*, actor: Any, facility: Facility, opening_float: object) -> Shift:
    """Open a shift for `actor` at `facility` with `opening_float` in the drawer.
    Requires TAKE_PAYMENT. Conflict (SHIFT_ALREADY_OPEN) while the actor has one open:
    the database's partial unique constraint decides between two opened at once."""
    policies.check_take_payment(actor, facility)
    opening = _amount(opening_float, "opening_float", facility.currency)
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                facility=facility,
                cashier=actor,
                currency=facility.currency,
                opening_float=opening,
                opened_at=timezone.now(),
                created_by=author(actor),
                updated_by=author(actor),
            )
            record_event(
                action=Action.CREATE,
                actor=actor,
                obj=shift,
                reason=f"Shift opened, float {opening}",
            )
    except IntegrityError:
        raise Conflict(
            "You already have an open shift; close it first.",
            code=BillingErrorCode.SHIFT_ALREADY_OPEN,
            field="cashier",
        ) from None
    return shift


def locked_open_shift(*, cashier: Any, facility: Facility) -> Shift | None:
    """The cashier's open shift at `facility`, its row locked until commit (so it cannot
    close while a payment is being taken in it), or None."""
    if not getattr(cashier, "is_authenticated", False):
        return None
    return (
        Shift.objects.select_for_update()
        .filter(facility=facility, cashier=cashier, status=Shift.Status.OPEN)
        .first()
    )


def expected_by_method(shift: Shift) -> dict[str, Decimal]:
    """What the till should hold per method: payments less refunds taken in the shift,
    and for cash the opening float as well."""
    expected = {PaymentMethod.CASH.value: shift.opening_float}
    taken = Payment.objects.filter(shift=shift).values("method").annotate(sum=Sum("amount"))
    for row in taken:
        expected[row["method"]] = expected.get(row["method"], ZERO) + row["sum"]
    given = Refund.objects.filter(shift=shift).values("method").annotate(sum=Sum("amount"))
    for row in given:
        expected[row["method"]] = expected.get(row["method"], ZERO) - row["sum"]
    return {method: round_money(amount, shift.currency) for method, amount in expected.items()}


def close_shift(*, actor: Any, shift: Shift, counts: Mapping[str, object], note: str = "") -> Shift:
    """Close `actor`'s open shift with what was counted per method: every method the
    till expects money in must be counted (cash always); the variance (counted less
    expected) is kept per method and in total. Requires TAKE_PAYMENT and that the
    shift is the actor's.

    Locks the shift row, so no payment lands in it during or after the count.
    Conflict (SHIFT_NOT_OPEN) for a shift closed already; InvalidInput naming
    `counts.<method>` for a count missing, negative, a float or an unknown method.
    """
    policies.check_take_payment(actor, shift.facility)
    note = reason_text(note, "note", required=False, limit=500)
    with transaction.atomic():
        locked = _locked_own(actor, shift)
        if locked.status != Shift.Status.OPEN:
            raise Conflict(
                "This shift is closed already.",
                code=BillingErrorCode.SHIFT_NOT_OPEN,
                field="shift",
            )
        expected = expected_by_method(locked)
        counted = _counts(counts, expected, locked.currency)
        rows = [
            ShiftCount(
                shift=locked,
                method=method,
                expected=expected.get(method, ZERO),
                counted=amount,
                variance=amount - expected.get(method, ZERO),
            )
            for method, amount in sorted(counted.items())
        ]
        ShiftCount.objects.bulk_create(rows)
        locked.expected_total = sum((r.expected for r in rows), ZERO)
        locked.counted_total = sum((r.counted for r in rows), ZERO)
        locked.variance = locked.counted_total - locked.expected_total
        locked.status, locked.closed_at, locked.close_note = (
            Shift.Status.CLOSED,
            timezone.now(),
            note,
        )
        locked.updated_by = author(actor)
        locked.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            reason=f"Shift closed: expected {locked.expected_total}, counted "
            f"{locked.counted_total}, variance {locked.variance}",
        )
    return locked


def hand_over_shift(*, actor: Any, shift: Shift, to: Any) -> Shift:
    """Hand a closed shift's takings over to `to`, a user who may take payments at the
    facility (the next cashier or the chief cashier). Requires TAKE_PAYMENT and that
    the shift is the actor's. Conflict (SHIFT_NOT_CLOSED) for an open shift or one
    handed over already; InvalidInput (`to`) for the actor or someone not a cashier."""
    policies.check_take_payment(actor, shift.facility)
    if to is None or to.pk == actor.pk or not _may_take_payments(to, shift.facility):
        raise InvalidInput("Hand over to another user who takes payments here.", field="to")
    with transaction.atomic():
        locked = _locked_own(actor, shift)
        if locked.status != Shift.Status.CLOSED:
            raise Conflict(
                "Close the shift (count the drawer) before handing it over; a shift is "
                "handed over once.",
                code=BillingErrorCode.SHIFT_NOT_CLOSED,
                field="shift",
            )
        locked.status, locked.handed_over_to = Shift.Status.HANDED_OVER, to
        locked.handed_over_at, locked.updated_by = timezone.now(), author(actor)
        locked.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            reason=f"Shift handed over to {to.username}, counted {locked.counted_total}",
        )
    return locked


def _may_take_payments(user: Any, facility: Facility) -> bool:
    return bool(user.is_active) and account_policies.has_permission(
        user, Perm.TAKE_PAYMENT, facility
    )


def _locked_own(actor: Any, shift: Shift) -> Shift:
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    if locked.cashier_id != actor.pk:
        raise NotPermitted(
            "Only the cashier of a shift closes and hands it over.",
            code=BillingErrorCode.NOT_YOUR_SHIFT,
            field="shift",
        )
    return locked


def _counts(counts: Mapping[str, object], expected: dict[str, Decimal], currency: str):
    if not isinstance(counts, Mapping):
        raise InvalidInput("Give the count per method.", field="counts")
    known = set(PaymentMethod.values)
    for method in counts:
        if method not in known:
            raise InvalidInput(f"Unknown payment method {method!r}.", field=f"counts.{method}")
    counted = {m: _amount(v, f"counts.{m}", currency) for m, v in counts.items()}
    for method, amount in expected.items():
        if method not in counted and (amount or method == PaymentMethod.CASH):
            raise InvalidInput(
                f"Count the {PaymentMethod(method).label.lower()} taken.",
                field=f"counts.{method}",
            )
    return counted


def _amount(value: object, field: str, currency: str) -> Decimal:
    amount = amount_in(value, field=field)
    if amount != round_money(amount, currency):
        raise InvalidInput(
            f"Give the amount in whole {currency} minor units.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field=field,
        )
    return round_money(amount, currency)
