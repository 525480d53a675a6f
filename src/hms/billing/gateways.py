"""Online payment gateways behind one small interface, so the till does not know
which provider a facility uses. A gateway starts a checkout for an invoice and turns
its provider's notification (a webhook) into a verified `GatewayPayment`, which
hms.billing.services.online posts as a payment, once.

Shipped: the manual gateway, for facilities with no provider (the patient pays by a
link or at a bank and a cashier confirms it). A provider's adapter (Stripe, a
mobile-money API) implements the same protocol and must verify each webhook's
signature before anything is posted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings

from hms.billing.models import Invoice
from hms.core.errors import InvalidInput


@dataclass(frozen=True)
class Checkout:
    gateway: str
    reference: str  # the provider's id of the payment attempt
    amount: Decimal
    currency: str
    redirect_url: str | None  # where to send the payer; none for the manual gateway


@dataclass(frozen=True)
class GatewayPayment:
    """A payment the provider confirmed, its signature verified."""

    gateway: str
    reference: str
    invoice_id: uuid.UUID
    amount: Decimal


class PaymentGateway(Protocol):
    code: str

    def start_checkout(self, *, invoice: Invoice, amount: Decimal) -> Checkout: ...

    # None: a genuine notification that confirms no payment (acknowledged, ignored).
    def verify_webhook(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> GatewayPayment | None: ...


class ManualGateway:
    """No provider: the checkout is a reference the payer quotes, confirmed by hand."""

    code = "manual"

    def start_checkout(self, *, invoice: Invoice, amount: Decimal) -> Checkout:
        return Checkout(
            gateway=self.code,
            reference=f"MAN-{uuid.uuid4().hex[:12].upper()}",
            amount=amount,
            currency=invoice.currency,
            redirect_url=None,
        )

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayPayment:
        raise InvalidInput("The manual gateway receives no notifications.", field="gateway")

    def confirm(self, *, checkout: Checkout, invoice: Invoice) -> GatewayPayment:
        """A cashier's confirmation that the checkout was paid."""
        return GatewayPayment(self.code, checkout.reference, invoice.external_id, checkout.amount)


GATEWAYS: dict[str, PaymentGateway] = {ManualGateway.code: ManualGateway()}
if settings.HMS_STRIPE_SECRET_KEY and settings.HMS_STRIPE_WEBHOOK_SECRET:
    from hms.billing.gateway_stripe import StripeGateway

    GATEWAYS[StripeGateway.code] = StripeGateway()


def gateway_for(code: str) -> PaymentGateway:
    try:
        return GATEWAYS[code]
    except KeyError:
        raise InvalidInput(f"No payment gateway {code!r}.", field="gateway") from None
