"""Online payments: a checkout opened through a gateway (hms.billing.gateways) for an
invoice's balance, and the payment the gateway confirms, posted once."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.gateways import Checkout, GatewayPayment, gateway_for
from hms.billing.models import Invoice, Payment, PaymentMethod
from hms.billing.services._till import check_payable
from hms.billing.services.payments import take_deposit, take_payment
from hms.core.errors import InvalidInput


def start_online_checkout(*, actor: Any, invoice: Invoice, gateway: str) -> Checkout:
    """Open a payment of the invoice's balance through `gateway` (a link to send the
    patient). Requires TAKE_PAYMENT. Conflict (INVOICE_NOT_PAYABLE) for a draft, void
    or settled invoice; InvalidInput (gateway) for one not configured."""
    policies.check_take_payment(actor, invoice.facility)
    provider = gateway_for(gateway)
    fresh = Invoice.objects.select_related("facility", "patient").get(pk=invoice.pk)
    check_payable(fresh)
    checkout = provider.start_checkout(invoice=fresh, amount=fresh.balance)
    with transaction.atomic():
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=fresh,
            patient_id=str(fresh.patient.external_id),
            reason=f"Online checkout {checkout.gateway}:{checkout.reference} for "
            f"{checkout.amount} {checkout.currency} on {fresh.number}",
        )
    return checkout


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
    if invoice.status != Invoice.Status.FINAL or invoice.balance <= 0:
        # Settled at the till (or voided) while the patient paid online: the money is
        # the patient's, kept as a deposit rather than refused back to the gateway.
        return take_deposit(
            actor=None,
            patient=invoice.patient,
            amount=confirmed.amount,
            method=PaymentMethod.ONLINE,
            reference=reference,
            note=f"Paid online for {invoice.number}, which was settled already",
            skip_permission_checks=True,
        )
    return take_payment(
        actor=None,
        invoice=invoice,
        amount=confirmed.amount,
        method=PaymentMethod.ONLINE,
        reference=reference,
        surplus_to_deposit=True,
        skip_permission_checks=True,
    )
