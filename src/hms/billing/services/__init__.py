"""Every write in billing, one keyword-only function per use case, split by aggregate:
the tariff and packages, charges, invoices and their corrections, payments and
refunds, cashier shifts."""

from hms.billing.services.charges import capture_charge, void_charge
from hms.billing.services.corrections import discard_draft, issue_credit_note, void_invoice
from hms.billing.services.invoices import apply_discount, draft_invoice, finalise_invoice
from hms.billing.services.packages import apply_package, define_package, remove_package
from hms.billing.services.payments import (
    PaymentPart,
    apply_deposit,
    take_deposit,
    take_payment,
    take_split_payment,
)
from hms.billing.services.refunds import refund_deposit, refund_invoice
from hms.billing.services.shifts import close_shift, hand_over_shift, open_shift
from hms.billing.services.tariffs import add_billable_item, add_price_list, set_price

__all__ = [
    "PaymentPart",
    "add_billable_item",
    "add_price_list",
    "apply_deposit",
    "apply_discount",
    "apply_package",
    "capture_charge",
    "close_shift",
    "define_package",
    "discard_draft",
    "draft_invoice",
    "finalise_invoice",
    "hand_over_shift",
    "issue_credit_note",
    "open_shift",
    "refund_deposit",
    "refund_invoice",
    "remove_package",
    "set_price",
    "take_deposit",
    "take_payment",
    "take_split_payment",
    "void_charge",
    "void_invoice",
]
