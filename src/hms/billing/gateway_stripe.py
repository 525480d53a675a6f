"""Stripe Checkout as an online payment gateway (hms.billing.gateways): a page hosted
by Stripe where the patient pays one invoice, and the webhook that confirms it.

Only a webhook whose Stripe-Signature header verifies against the endpoint's signing
secret (HMAC-SHA256 over "timestamp.body", at most five minutes old) is read at all;
https://docs.stripe.com/webhooks#verify-events. A paid Checkout Session becomes a
`GatewayPayment` whose reference is its PaymentIntent's id: Stripe delivers an event
at least once, and every delivery of one payment names the same PaymentIntent, so
hms.billing.services.online posts it once. (The session's own id would do as well,
but at 66 characters in test mode it does not fit a payment's 64-character reference.)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

from hms.billing.errors import BillingErrorCode
from hms.billing.models import Invoice
from hms.core.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from hms.billing.gateways import Checkout, GatewayPayment

# Stripe counts amounts in the currency's minor unit as Stripe defines it, which is not
# always ISO 4217's (https://docs.stripe.com/currencies#zero-decimal): MGA has no
# minor unit at Stripe, and ISK keeps two decimals in the API though card networks
# take whole kronur only since April 2023.
_ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
_WHOLE_UNITS_ONLY = frozenset({"ISK"})

# A card payment completes its session as paid; a bank debit completes it unpaid and
# reports the money later in its own event, which carries the same session.
_PAID_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded"})
SIGNATURE_HEADER = "Stripe-Signature"


class GatewayUnavailable(DomainError):
    status = 502
    code = "GATEWAY_UNAVAILABLE"


def _exponent(currency: str) -> int:
    if currency in _ZERO_DECIMAL:
        return 0
    return 3 if currency in _THREE_DECIMAL else 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`amount` as Stripe's integer count of `currency`'s minor unit; InvalidInput
    when Stripe cannot charge it exactly (a fraction of a yen, a krona's aurar)."""
    code = currency.upper()
    scaled = amount.scaleb(_exponent(code))
    fractional = code in _WHOLE_UNITS_ONLY and amount != amount.to_integral_value()
    if fractional or scaled != scaled.to_integral_value():
        raise InvalidInput(
            f"Stripe charges {code} in whole units; {amount} {code} cannot be charged.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field="amount",
        )
    return int(scaled)


def from_minor_units(units: object, currency: str) -> Decimal:
    """Stripe's integer amount back as a Decimal held to the cent, as money is here."""
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise InvalidInput(
            "The paid session carries no amount above zero.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field="amount",
        )
    amount = Decimal(units).scaleb(-_exponent(currency.upper()))
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(
            f"{amount} {currency.upper()} has more decimals than an invoice holds.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field="amount",
        )
    return amount.quantize(Decimal("0.01"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Django's request.headers ignores case; a plain dict from a caller does not.
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


class StripeGateway:
    """Stripe Checkout, with the keys from HMS_STRIPE_SECRET_KEY and
    HMS_STRIPE_WEBHOOK_SECRET read when used. `client` replaces the StripeClient
    built from the secret key (tests give one whose HTTP layer is a stub)."""

    code = "stripe"

    def __init__(self, client: stripe.StripeClient | None = None) -> None:
        self._client = client

    def start_checkout(self, *, invoice: Invoice, amount: Decimal) -> Checkout:
        """Open a Checkout Session for `amount` of `invoice`, one line in the invoice's
        currency, tagged with the invoice and its facility; GatewayUnavailable (502)
        when Stripe does not answer, InvalidInput when it refuses."""
        from hms.billing.gateways import Checkout  # gateways imports this module

        units = to_minor_units(amount, invoice.currency)
        if units <= 0:
            raise InvalidInput(
                "Nothing to pay.", code=BillingErrorCode.INVALID_AMOUNT, field="amount"
            )
        session = self._create_session(_session_params(invoice, units))
        return Checkout(
            gateway=self.code,
            reference=session.id,
            amount=amount,
            currency=invoice.currency,
            redirect_url=session.url,
        )

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> GatewayPayment | None:
        """The payment a signed Stripe event confirms; None for an event that confirms
        none (another type, a session not yet paid), which is acknowledged and ignored.
        InvalidInput for a missing, wrong or stale signature, a body that is no event,
        or a session that does not match its invoice (currency, amount, facility)."""
        session = _paid_session(self._event(body, headers))
        if session is None:
            return None
        return self._payment_of(session)

    def _stripe(self) -> stripe.StripeClient:
        if self._client is None:
            self._client = stripe.StripeClient(
                settings.HMS_STRIPE_SECRET_KEY, max_network_retries=2
            )
        return self._client

    def _create_session(self, params: dict[str, Any]) -> Any:
        try:
            return self._stripe().v1.checkout.sessions.create(params=params)
        except stripe.InvalidRequestError as exc:
            raise InvalidInput(
                f"Stripe refused the checkout: {exc.user_message}", field="gateway"
            ) from exc
        except stripe.StripeError as exc:
            raise GatewayUnavailable(
                f"Stripe did not open a checkout; try again later ({exc.user_message}).",
                field="gateway",
            ) from exc

    def _event(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            raise InvalidInput(f"No {SIGNATURE_HEADER} header.", field=SIGNATURE_HEADER)
        try:
            event = stripe.Webhook.construct_event(
                body, signature, settings.HMS_STRIPE_WEBHOOK_SECRET
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidInput(
                f"The {SIGNATURE_HEADER} header does not verify: {exc.user_message}.",
                field=SIGNATURE_HEADER,
            ) from None
        except (ValueError, TypeError, AttributeError):
            # Signed, but not UTF-8 JSON, or JSON that is not an object.
            raise InvalidInput("The body is not a Stripe event.", field="body") from None
        return event.to_dict()

    def _payment_of(self, session: Mapping[str, Any]) -> GatewayPayment:
        from hms.billing.gateways import GatewayPayment  # gateways imports this module

        invoice = _invoice_of(session.get("metadata") or {})
        currency = str(session.get("currency") or "").upper()
        if currency != invoice.currency:
            raise InvalidInput(
                f"Stripe took {currency or 'no currency'}; invoice {invoice} is billed in "
                f"{invoice.currency}.",
                field="currency",
            )
        amount = from_minor_units(session.get("amount_total"), currency)
        if amount > invoice.total:
            raise InvalidInput(
                f"Stripe took {amount} {currency}, more than the {invoice.total} {currency} "
                f"of invoice {invoice}.",
                code=BillingErrorCode.INVALID_AMOUNT,
                field="amount",
            )
        intent = session.get("payment_intent")
        if not isinstance(intent, str) or not intent.startswith("pi_") or len(intent) > 50:
            raise InvalidInput("The paid session names no PaymentIntent.", field="payment_intent")
        return GatewayPayment(self.code, intent, invoice.external_id, amount)


def _session_params(invoice: Invoice, units: int) -> dict[str, Any]:
    # Only ids and the invoice number go to Stripe: no patient name, no clinical line.
    tags = {"invoice": str(invoice.external_id), "facility": str(invoice.facility.external_id)}
    back = f"{settings.HMS_PUBLIC_URL}/?invoice={invoice.external_id}&checkout="
    return {
        "mode": "payment",
        "client_reference_id": tags["invoice"],
        "metadata": tags,
        "payment_intent_data": {"metadata": tags},
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "unit_amount": units,
                    "product_data": {"name": f"Invoice {invoice.number}"},
                },
            }
        ],
        "success_url": f"{back}paid",
        "cancel_url": f"{back}cancelled",
    }


def _paid_session(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if event.get("type") not in _PAID_EVENTS:
        return None
    session = (event.get("data") or {}).get("object")
    if not isinstance(session, Mapping) or session.get("object") != "checkout.session":
        raise InvalidInput("The event carries no Checkout Session.", field="body")
    if session.get("payment_status") != "paid":
        return None
    return session


def _invoice_of(metadata: Mapping[str, Any]) -> Invoice:
    try:
        invoice_id = uuid.UUID(str(metadata.get("invoice")))
    except ValueError:
        raise InvalidInput("The session's metadata names no invoice.", field="invoice") from None
    invoice = Invoice.objects.select_related("facility").filter(external_id=invoice_id).first()
    if invoice is None:
        raise InvalidInput("No such invoice.", field="invoice")
    if metadata.get("facility") != str(invoice.facility.external_id):
        raise InvalidInput(
            f"Invoice {invoice} is not of the facility the session names.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="facility",
        )
    return invoice
