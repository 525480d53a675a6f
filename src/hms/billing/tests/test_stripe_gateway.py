"""The Stripe gateway: webhooks signed as Stripe signs them (t=timestamp,v1=HMAC-SHA256
of "timestamp.body" with the endpoint's secret) post a paid checkout once, however
often they are delivered; anything unsigned, stale or not matching its invoice is
refused with nothing posted. Checkouts are opened through a StripeClient whose HTTP
layer is a stub, so no test reaches Stripe."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import stripe
from django.core.cache import cache
from django.db import connection
from django.test import Client

from hms.billing import services
from hms.billing.api import webhook_views
from hms.billing.gateway_stripe import StripeGateway, from_minor_units, to_minor_units
from hms.billing.gateways import GATEWAYS
from hms.billing.models import Invoice, Payment
from hms.billing.tests.test_concurrency import race
from hms.core.errors import InvalidInput

WEBHOOK = "/api/v1/billing/webhooks/stripe/"
SECRET = "whsec_test_riverside"
API_KEY = "sk_test_riverside"
INTENT = "pi_3PqRsTuVwXyZ0123456789Ab"
SESSION = "cs_test_a1" + "B2c3D4e5F6" * 5 + "g7H8i9"


class FakeStripeHttp(stripe.HTTPClient):
    """Stripe's HTTP layer, answering each request with `answer` and keeping it."""

    name = "fake"

    def __init__(self, answer: dict, status: int = 200):
        super().__init__()
        self.answer, self.status, self.sent = answer, status, []

    def request(self, method, url, headers, post_data=None):
        self.sent.append((method, url, dict(headers), post_data))
        return json.dumps(self.answer), self.status, {"Request-Id": "req_test"}

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError

    def close(self):
        pass


def a_session_answer() -> dict:
    return {
        "id": SESSION,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.com/c/pay/{SESSION}",
    }


@pytest.fixture
def stripe_on(settings, monkeypatch):
    settings.HMS_STRIPE_SECRET_KEY = API_KEY
    settings.HMS_STRIPE_WEBHOOK_SECRET = SECRET
    settings.HMS_PUBLIC_URL = "https://hms.example.org"
    monkeypatch.setitem(GATEWAYS, "stripe", StripeGateway())
    cache.clear()  # the webhook's throttle counts in the cache


def signed(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def an_event(
    invoice, *, kind="checkout.session.completed", amount=100_000, **session_changes
) -> bytes:
    """A Stripe event for a Checkout Session of `invoice`, paid by default, for
    1,000.00 KES (100000 cents)."""
    session = {
        "id": SESSION,
        "object": "checkout.session",
        "mode": "payment",
        "amount_total": amount,
        "currency": "kes",
        "payment_status": "paid",
        "payment_intent": INTENT,
        "client_reference_id": str(invoice.external_id),
        "metadata": {
            "invoice": str(invoice.external_id),
            "facility": str(invoice.facility.external_id),
        },
        **session_changes,
    }
    event = {
        "id": "evt_1PqRsTuVwXyZ0123456789",
        "object": "event",
        "type": kind,
        "livemode": False,
        "created": int(time.time()),
        "data": {"object": session},
    }
    return json.dumps(event).encode()


def deliver(payload: bytes, signature: str | None = None, **extra):
    # As Stripe calls it: no session, no token, no CSRF cookie.
    client = Client(enforce_csrf_checks=True)
    if signature is not None:
        extra["HTTP_STRIPE_SIGNATURE"] = signature
    return client.post(WEBHOOK, data=payload, content_type="application/json", **extra)


def assert_nothing_posted(invoice):
    assert Payment.objects.count() == 0
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.amount_paid) == ("final", Decimal("0.00"))


@pytest.mark.django_db
def test_a_paid_checkout_posts_one_payment_and_the_balance_drops(stripe_on, final_invoice):
    payload = an_event(final_invoice)

    answer = deliver(payload, signed(payload))

    assert answer.status_code == 200, answer.json()
    payment = Payment.objects.get()
    assert answer.json() == {"received": True, "payment": str(payment.external_id)}
    assert (payment.method, payment.reference, payment.amount, payment.shift) == (
        "online",
        f"stripe:{INTENT}",
        Decimal("1000.00"),
        None,
    )
    invoice = Invoice.objects.get(pk=final_invoice.pk)
    assert (invoice.amount_paid, invoice.balance) == (Decimal("1000.00"), Decimal("1856.00"))


@pytest.mark.django_db
def test_a_redelivered_event_posts_once(stripe_on, final_invoice):
    payload = an_event(final_invoice, amount=285_600)

    first = deliver(payload, signed(payload))
    # Stripe signs each retry anew: a later timestamp, the same body.
    again = deliver(payload, signed(payload, at=int(time.time()) + 1))

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert Payment.objects.count() == 1
    invoice = Invoice.objects.get(pk=final_invoice.pk)
    assert (invoice.status, invoice.balance) == ("paid", Decimal("0.00"))


@pytest.mark.django_db
def test_a_bank_debit_is_posted_when_it_succeeds_and_once(stripe_on, final_invoice):
    completed = an_event(final_invoice, payment_status="unpaid")
    succeeded = an_event(final_invoice, kind="checkout.session.async_payment_succeeded")

    pending = deliver(completed, signed(completed))
    assert pending.status_code == 200
    assert pending.json() == {"received": True}
    assert_nothing_posted(final_invoice)

    assert deliver(succeeded, signed(succeeded)).status_code == 200
    assert deliver(succeeded, signed(succeeded)).status_code == 200
    assert Payment.objects.get().amount == Decimal("1000.00")


@pytest.mark.django_db
def test_other_events_are_acknowledged_and_ignored(stripe_on, final_invoice):
    payload = an_event(final_invoice, kind="payment_intent.succeeded")

    answer = deliver(payload, signed(payload))

    assert answer.status_code == 200
    assert answer.json() == {"received": True}
    assert_nothing_posted(final_invoice)


def _tampered(payload: bytes) -> tuple[bytes, str]:
    return payload.replace(b"100000", b"285600"), signed(payload)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda p: (p, signed(p, secret="whsec_someone_else")), id="wrong-secret"),
        pytest.param(_tampered, id="tampered-body"),
        pytest.param(lambda p: (p, signed(p, at=int(time.time()) - 301)), id="stale"),
        pytest.param(lambda p: (p, None), id="missing-header"),
        pytest.param(lambda p: (p, "t=soon,v1=abc"), id="garbled-header"),
        pytest.param(lambda p: (p, signed(p).replace("v1=", "v0=")), id="old-scheme"),
    ],
)
def test_a_webhook_that_does_not_verify_is_refused(stripe_on, final_invoice, forge):
    payload, signature = forge(an_event(final_invoice))

    answer = deliver(payload, signature)

    assert answer.status_code == 400
    assert answer.json()["field"] == "Stripe-Signature"
    assert "Stripe-Signature" in answer.json()["detail"]
    assert_nothing_posted(final_invoice)


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [b"not json", b"[]", b'"event"', b"\xff\xfe"])
def test_a_signed_body_that_is_no_event_is_refused(stripe_on, final_invoice, payload):
    answer = deliver(payload, signed(payload))

    assert (answer.status_code, answer.json()["field"]) == (400, "body")
    assert_nothing_posted(final_invoice)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"currency": "usd"}, "currency", "Stripe took USD; invoice"),
        ({"amount": 285_601}, "amount", "Stripe took 2856.01 KES, more than the 2856.00 KES"),
        ({"amount": 0}, "amount", "no amount above zero"),
        ({"payment_intent": None}, "payment_intent", "names no PaymentIntent"),
        ({"metadata": {}}, "invoice", "names no invoice"),
    ],
)
def test_a_paid_session_that_does_not_match_its_invoice_is_refused(
    stripe_on, final_invoice, changes, field, words
):
    payload = an_event(final_invoice, **changes)

    answer = deliver(payload, signed(payload))

    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert words in answer.json()["detail"]
    assert_nothing_posted(final_invoice)


@pytest.mark.django_db
def test_a_session_naming_another_facility_is_refused(stripe_on, final_invoice):
    payload = an_event(
        final_invoice,
        metadata={"invoice": str(final_invoice.external_id), "facility": SESSION},
    )

    answer = deliver(payload, signed(payload))

    assert (answer.status_code, answer.json()["code"]) == (400, "WRONG_FACILITY")
    assert_nothing_posted(final_invoice)


@pytest.mark.django_db
def test_an_oversized_body_is_refused_unread(stripe_on, final_invoice):
    payload = an_event(final_invoice) + b" " * webhook_views.MAX_WEBHOOK_BYTES

    answer = deliver(payload, signed(payload))

    assert (answer.status_code, answer.json()["code"]) == (413, "REQUEST_TOO_LARGE")
    assert_nothing_posted(final_invoice)


@pytest.mark.django_db
def test_a_flood_of_webhooks_is_throttled(stripe_on, final_invoice, monkeypatch):
    monkeypatch.setattr(webhook_views.WebhookThrottle, "rate", "2/min")
    payload = an_event(final_invoice, kind="customer.created")

    answers = [deliver(payload, signed(payload)).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


@pytest.mark.django_db
def test_with_the_gateway_off_the_webhook_is_refused(final_invoice, monkeypatch):
    monkeypatch.delitem(GATEWAYS, "stripe", raising=False)
    payload = an_event(final_invoice)

    answer = deliver(payload, signed(payload))

    assert (answer.status_code, answer.json()["field"]) == (400, "gateway")
    assert_nothing_posted(final_invoice)


def test_the_gateway_is_registered_only_with_both_keys():
    probe = "from hms.billing.gateways import GATEWAYS; print(sorted(GATEWAYS))"

    def gateways_with(**keys) -> str:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hms.settings", **keys}
        code = f"import django; django.setup(); {probe}"
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    both = {"HMS_STRIPE_SECRET_KEY": API_KEY, "HMS_PUBLIC_URL": "https://hms.example.org"}
    assert gateways_with(**both) == "['manual']"
    assert gateways_with(**both, HMS_STRIPE_WEBHOOK_SECRET=SECRET) == "['manual', 'stripe']"


@pytest.mark.django_db
def test_start_checkout_asks_stripe_for_the_balance_in_minor_units(stripe_on, final_invoice):
    http = FakeStripeHttp(a_session_answer())
    gateway = StripeGateway(stripe.StripeClient(API_KEY, http_client=http))

    checkout = gateway.start_checkout(invoice=final_invoice, amount=final_invoice.balance)

    assert (checkout.gateway, checkout.reference, checkout.amount, checkout.currency) == (
        "stripe",
        SESSION,
        Decimal("2856.00"),
        "KES",
    )
    assert checkout.redirect_url == f"https://checkout.stripe.com/c/pay/{SESSION}"
    [(method, url, headers, post_data)] = http.sent
    assert (method, url) == ("post", "https://api.stripe.com/v1/checkout/sessions")
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    sent = {key: value for key, [value] in parse_qs(post_data).items()}
    invoice_id, facility_id = (
        str(final_invoice.external_id),
        str(final_invoice.facility.external_id),
    )
    assert sent == {
        "mode": "payment",
        "client_reference_id": invoice_id,
        "metadata[invoice]": invoice_id,
        "metadata[facility]": facility_id,
        "payment_intent_data[metadata][invoice]": invoice_id,
        "payment_intent_data[metadata][facility]": facility_id,
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "kes",
        "line_items[0][price_data][unit_amount]": "285600",
        "line_items[0][price_data][product_data][name]": f"Invoice {final_invoice.number}",
        "success_url": f"https://hms.example.org/?invoice={invoice_id}&checkout=paid",
        "cancel_url": f"https://hms.example.org/?invoice={invoice_id}&checkout=cancelled",
    }


@pytest.mark.django_db
def test_start_checkout_in_a_zero_decimal_currency_sends_whole_units(stripe_on, final_invoice):
    http = FakeStripeHttp(a_session_answer())
    gateway = StripeGateway(stripe.StripeClient(API_KEY, http_client=http))
    final_invoice.currency = "UGX"  # not saved: only what is sent matters here

    gateway.start_checkout(invoice=final_invoice, amount=Decimal("2856.00"))

    sent = parse_qs(http.sent[0][3])
    assert sent["line_items[0][price_data][unit_amount]"] == ["2856"]
    assert sent["line_items[0][price_data][currency]"] == ["ugx"]


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("2856.00", "KES", 285_600),
        ("2856.00", "ugx", 2856),
        ("1500", "JPY", 1500),
        ("12.34", "KWD", 12_340),  # three decimals, the last one 0 as Stripe wants
        ("40.00", "ISK", 4000),
    ],
)
def test_amounts_travel_in_stripes_minor_units(amount, currency, units):
    assert to_minor_units(Decimal(amount), currency) == units
    assert from_minor_units(units, currency) == Decimal(amount).quantize(Decimal("0.01"))


@pytest.mark.parametrize(("amount", "currency"), [("1500.50", "JPY"), ("40.10", "ISK")])
def test_an_amount_stripe_cannot_charge_exactly_is_refused(amount, currency):
    with pytest.raises(InvalidInput) as refused:
        to_minor_units(Decimal(amount), currency)
    assert refused.value.field == "amount"
    assert f"Stripe charges {currency} in whole units" in refused.value.message


def test_an_amount_finer_than_a_cent_is_refused():
    with pytest.raises(InvalidInput) as refused:
        from_minor_units(12_345, "KWD")
    assert refused.value.field == "amount"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "code", "field"),
    [(400, "INVALID_INPUT", "gateway"), (500, "GATEWAY_UNAVAILABLE", "gateway")],
)
def test_stripe_refusing_or_failing_a_checkout_is_reported(
    stripe_on, final_invoice, status, code, field
):
    error = {"error": {"type": "invalid_request_error", "message": "Amount too small."}}
    http = FakeStripeHttp(error, status=status)
    gateway = StripeGateway(stripe.StripeClient(API_KEY, http_client=http))

    with pytest.raises(Exception) as failed:
        gateway.start_checkout(invoice=final_invoice, amount=final_invoice.balance)

    assert (failed.value.code, failed.value.field) == (code, field)


@pytest.mark.django_db
def test_a_cashier_opens_a_checkout_over_rest(
    stripe_on, final_invoice, api_client_for, monkeypatch
):
    http = FakeStripeHttp(a_session_answer())
    client = stripe.StripeClient(API_KEY, http_client=http)
    monkeypatch.setitem(GATEWAYS, "stripe", StripeGateway(client))
    cashier = api_client_for("cashier")
    address = f"/api/v1/billing/invoices/{final_invoice.external_id}/checkout/"

    by_stripe = cashier.post(address, {"gateway": "stripe"}, format="json")
    by_hand = cashier.post(address, {"gateway": "manual"}, format="json")
    unknown = cashier.post(address, {"gateway": "paypal"}, format="json")

    assert by_stripe.status_code == 201, by_stripe.json()
    assert by_stripe.json() == {
        "gateway": "stripe",
        "reference": SESSION,
        "amount": "2856.00",
        "currency": "KES",
        "redirect_url": f"https://checkout.stripe.com/c/pay/{SESSION}",
    }
    assert by_hand.status_code == 201
    assert by_hand.json()["reference"].startswith("MAN-")
    assert by_hand.json()["redirect_url"] is None
    assert (unknown.status_code, unknown.json()["field"]) == (400, "gateway")
    assert len(http.sent) == 1


@pytest.mark.django_db
def test_no_checkout_for_a_draft_invoice_or_without_the_till(
    stripe_on, final_invoice, tariff, clerk, patient, api_client_for
):
    services.capture_charge(
        actor=clerk,
        patient=patient,
        item_code="CONS",
        source="stripe-test:draft",
        service_date=dt.date(2026, 3, 2),
    )
    draft = services.draft_invoice(actor=clerk, patient=patient)
    cashier, billing_clerk = api_client_for("cashier"), api_client_for("billing_clerk")

    on_draft = cashier.post(
        f"/api/v1/billing/invoices/{draft.external_id}/checkout/",
        {"gateway": "manual"},
        format="json",
    )
    by_clerk = billing_clerk.post(
        f"/api/v1/billing/invoices/{final_invoice.external_id}/checkout/",
        {"gateway": "manual"},
        format="json",
    )

    assert (on_draft.status_code, on_draft.json()["code"]) == (409, "INVOICE_NOT_PAYABLE")
    assert by_clerk.status_code == 403


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers: pytest-django's shared-cache in-memory SQLite "
    "database fails a second writer at once with 'database table is locked'",
)
@pytest.mark.django_db(transaction=True)
def test_deliveries_of_one_event_at_once_post_once(stripe_on, final_invoice):
    payload = an_event(final_invoice, amount=285_600)
    signature = signed(payload)

    answers = race(lambda _: deliver(payload, signature))

    assert [a.status_code for a in answers] == [200] * len(answers), answers
    assert len({a.json()["payment"] for a in answers}) == 1
    assert Payment.objects.count() == 1
    invoice = Invoice.objects.get(pk=final_invoice.pk)
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("2856.00"))
