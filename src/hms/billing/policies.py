"""Who may do what in billing. The default is deny: each check names the permission,
held in the facility the row belongs to (hms.accounts.permissions has the roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.core.models import Facility


def check_view_billing(actor: Any, facility: Facility) -> None:
    policies.check_permission(actor, Perm.VIEW_BILLING, facility)


def check_manage_tariffs(actor: Any, facility: Facility) -> None:
    policies.check_permission(actor, Perm.MANAGE_TARIFFS, facility)


def check_capture_charge(actor: Any, facility: Facility, *, overriding_price: bool) -> None:
    """Capturing a charge needs CAPTURE_CHARGE; pricing it by hand instead of from the
    tariff also needs OVERRIDE_PRICE."""
    policies.check_permission(actor, Perm.CAPTURE_CHARGE, facility)
    if overriding_price:
        policies.check_permission(actor, Perm.OVERRIDE_PRICE, facility)


def check_void_charge(actor: Any, facility: Facility) -> None:
    policies.check_permission(actor, Perm.VOID_CHARGE, facility)


def check_manage_invoices(actor: Any, facility: Facility) -> None:
    policies.check_permission(actor, Perm.MANAGE_INVOICES, facility)


def can_approve_discount(actor: Any, facility: Facility) -> bool:
    return policies.has_permission(actor, Perm.APPROVE_DISCOUNT, facility)


def scope_takings(actor: Any, facility: Facility, rows: QuerySet) -> QuerySet:
    """Payments or refunds as `actor` may see them in reports: a supervisor (whoever
    may approve discounts and refunds) sees every cashier's, anyone else only the
    money they took or gave back themselves."""
    if can_approve_discount(actor, facility):
        return rows
    return rows.filter(created_by_id=actor.pk)


def check_take_payment(actor: Any, facility: Facility) -> None:
    """Taking money, holding deposits and running a till need TAKE_PAYMENT."""
    policies.check_permission(actor, Perm.TAKE_PAYMENT, facility)


def check_refund(actor: Any, facility: Facility) -> None:
    """A refund pays money out: TAKE_PAYMENT to pay it, and a supervisor's
    APPROVE_DISCOUNT, so a cashier alone never refunds what they took."""
    policies.check_permission(actor, Perm.TAKE_PAYMENT, facility)
    policies.check_permission(actor, Perm.APPROVE_DISCOUNT, facility)


def can_take_payment(actor: Any, facility: Facility) -> bool:
    return policies.has_permission(actor, Perm.TAKE_PAYMENT, facility)


def check_correct_invoice(actor: Any, facility: Facility) -> None:
    """A credit note or a void takes money off a final invoice: MANAGE_INVOICES to
    write it and a supervisor's APPROVE_DISCOUNT, as for a large discount."""
    policies.check_permission(actor, Perm.MANAGE_INVOICES, facility)
    policies.check_permission(actor, Perm.APPROVE_DISCOUNT, facility)
