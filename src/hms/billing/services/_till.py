"""What payments and refunds share: the amount, the method and its reference, the
cashier's shift, and the gapless receipt and refund numbers."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hms.billing.errors import BillingErrorCode
from hms.billing.models import Invoice, PaymentMethod, Shift
from hms.billing.services._common import amount_in
from hms.billing.services.shifts import locked_open_shift
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility
from hms.core.money import round_money
from hms.core.sequences import next_number

# A card slip's number, a bank's or a mobile-money operator's transaction code
# ("QGH7XK2M1P" for M-Pesa): letters and digits, with separators some banks print.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_:-]{0,63}$")
_NEEDS_REFERENCE = {
    PaymentMethod.CARD: "the card terminal's slip number",
    PaymentMethod.BANK_TRANSFER: "the bank transfer's reference",
    PaymentMethod.MOBILE_MONEY: "the mobile-money transaction code",
}


@dataclass(frozen=True)
class Tender:
    """How money moves: a checked method, reference and amount."""

    method: str
    reference: str
    amount: Decimal


def tender(*, method: object, reference: object, amount: object, currency: str) -> Tender:
    """A validated method, reference and amount: InvalidInput naming `method`,
    `reference` or `amount` (zero, negative, a float, finer than the currency)."""
    if method not in PaymentMethod.values:
        raise InvalidInput("Choose cash, card, bank transfer or mobile money.", field="method")
    return Tender(str(method), _reference(method, reference), positive_amount(amount, currency))


def positive_amount(value: object, currency: str, *, field: str = "amount") -> Decimal:
    amount = amount_in(value, field=field)
    if amount <= 0 or amount != round_money(amount, currency):
        raise InvalidInput(
            f"Give an amount above zero in whole {currency} minor units.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field=field,
        )
    return round_money(amount, currency)


def _reference(method: object, value: object) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("Give the reference as text.", field="reference")
    value = value.strip()
    if not value:
        if method in _NEEDS_REFERENCE:
            raise InvalidInput(
                f"Give {_NEEDS_REFERENCE[method]}.",
                code=BillingErrorCode.REFERENCE_REQUIRED,
                field="reference",
            )
        return ""
    if not _REFERENCE.match(value):
        raise InvalidInput(
            "A reference is up to 64 letters and digits (and . / _ : - or spaces).",
            field="reference",
        )
    # Operators print mobile-money codes in capitals; a clerk may type them in lower.
    return value.upper() if method == PaymentMethod.MOBILE_MONEY else value


def check_payable(invoice: Invoice) -> None:
    """Money is taken only on a final invoice with a balance (called on the locked row)."""
    if invoice.status != Invoice.Status.FINAL or invoice.balance <= 0:
        state = "settled" if invoice.status == Invoice.Status.PAID else invoice.status
        raise Conflict(
            f"Invoice {invoice} is {state}: payments are taken on final invoices with a balance.",
            code=BillingErrorCode.INVOICE_NOT_PAYABLE,
            field="invoice",
        )


def till_shift(actor: Any, facility: Facility, method: str) -> Shift | None:
    """The actor's open shift, locked; cash moves only in one (NO_OPEN_SHIFT), other
    methods are counted in it when there is one."""
    shift = locked_open_shift(cashier=actor, facility=facility)
    if shift is None and method == PaymentMethod.CASH:
        raise Conflict(
            "Open a cashier shift before handling cash.",
            code=BillingErrorCode.NO_OPEN_SHIFT,
            field="method",
        )
    return shift


def document_number(kind: str, facility: Facility, at: datetime) -> str:
    """The facility's next receipt ("RGH-RCT-2026-000001") or refund number for the
    year in its time zone; gapless, under the sequence row's lock until commit."""
    year = timezone.localtime(at, zoneinfo.ZoneInfo(facility.timezone)).year
    serial = next_number(f"{kind.lower()}:{facility.code}:{year}")
    return f"{facility.code}-{kind}-{year}-{serial:06d}"


def settle(invoice: Invoice) -> None:
    """Mark the locked invoice paid at a zero balance, final again above it."""
    if invoice.status in (Invoice.Status.FINAL, Invoice.Status.PAID):
        invoice.status = Invoice.Status.PAID if invoice.balance == 0 else Invoice.Status.FINAL
    invoice.save(update_fields=["amount_paid", "amount_refunded", "status", "updated_at"])
