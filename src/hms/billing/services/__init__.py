"""Every write in billing, one keyword-only function per use case, split by aggregate:
the tariff, charges, invoices."""

from hms.billing.services.charges import capture_charge, void_charge
from hms.billing.services.invoices import apply_discount, draft_invoice, finalise_invoice
from hms.billing.services.tariffs import add_billable_item, add_price_list, set_price

__all__ = [
    "add_billable_item",
    "add_price_list",
    "apply_discount",
    "capture_charge",
    "draft_invoice",
    "finalise_invoice",
    "set_price",
    "void_charge",
]
