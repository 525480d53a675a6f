"""The manual gateway: a checkout confirmed by hand is posted once as an online payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hms.billing.gateways import gateway_for
from hms.billing.models import Invoice, Payment
from hms.billing.services.online import record_online_payment
from hms.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_a_confirmed_checkout_is_posted_once(final_invoice):
    gateway = gateway_for("manual")
    checkout = gateway.start_checkout(invoice=final_invoice, amount=final_invoice.total)
    confirmed = gateway.confirm(checkout=checkout, invoice=final_invoice)

    first = record_online_payment(confirmed=confirmed)
    again = record_online_payment(confirmed=confirmed)

    assert first.pk == again.pk
    assert (first.method, first.shift, first.amount) == ("online", None, Decimal("2856.00"))
    assert Invoice.objects.get(pk=final_invoice.pk).status == Invoice.Status.PAID
    assert Payment.objects.count() == 1


def test_the_manual_gateway_takes_no_webhooks_and_unknown_gateways_are_refused():
    with pytest.raises(InvalidInput):
        gateway_for("manual").verify_webhook(body=b"{}", headers={})
    with pytest.raises(InvalidInput) as exc:
        gateway_for("nope")
    assert exc.value.field == "gateway"
