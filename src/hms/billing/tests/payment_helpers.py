"""Invoices ready to be paid, made through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hms.billing import services

_sources = itertools.count(1)


def final_invoice_for(clerk, patient, *, blood_counts: int = 2):
    """A final invoice: a consultation (1,000.00) and `blood_counts` blood counts
    (928.00 each with tax): 2,856.00 KES for the default two."""
    for item in ["CONS"] + ["FBC"] * blood_counts:
        services.capture_charge(
            actor=clerk,
            patient=patient,
            item_code=item,
            source=f"pay-test:{next(_sources)}",
            service_date=dt.date(2026, 3, 2),
        )
    invoice = services.draft_invoice(actor=clerk, patient=patient)
    invoice = services.finalise_invoice(actor=clerk, invoice=invoice)
    assert invoice.total == Decimal(1000) + blood_counts * Decimal("928.00")
    return invoice
