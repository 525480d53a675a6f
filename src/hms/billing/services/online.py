"""Payments confirmed by an online gateway (hms.billing.gateways), posted once."""

from __future__ import annotations

from hms.billing.gateways import GatewayPayment
from hms.billing.models import Invoice, Payment, PaymentMethod
from hms.billing.services.payments import take_payment
from hms.core.errors import InvalidInput


def record_online_payment(*, confirmed: GatewayPayment) -> Payment:
    """Post a gateway's confirmed payment on its invoice, as the system (the gateway
    verified the payer; no cashier or shift is involved), with the surplus of an
    overpaid invoice kept as the patient's deposit. Idempotent on the gateway's
    reference: a notification delivered twice answers the first payment."""
    reference = f"{confirmed.gateway}:{confirmed.reference}"
    invoice = Invoice.objects.filter(external_id=confirmed.invoice_id).first()
    if invoice is None:
        raise InvalidInput("No such invoice.", field="invoice")
    posted = Payment.objects.filter(
        facility_id=invoice.facility_id, method=PaymentMethod.ONLINE, reference=reference
    ).first()
    if posted is not None:
        return posted
    return take_payment(
        actor=None,
        invoice=invoice,
        amount=confirmed.amount,
        method=PaymentMethod.ONLINE,
        reference=reference,
        surplus_to_deposit=True,
        skip_permission_checks=True,
    )
