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


def test_paid_online_after_the_till_settled_it_becomes_a_deposit(final_invoice, cashier):
    from hms.billing import services

    gateway = gateway_for("manual")
    checkout = gateway.start_checkout(invoice=final_invoice, amount=final_invoice.total)
    services.take_payment(
        actor=cashier, invoice=final_invoice, amount="2856", method="card", reference="T-1"
    )

    posted = record_online_payment(
        confirmed=gateway.confirm(checkout=checkout, invoice=final_invoice)
    )

    assert (posted.method, posted.unallocated) == ("online", Decimal("2856.00"))
    assert not posted.allocations.exists()
    assert (
        record_online_payment(
            confirmed=gateway.confirm(checkout=checkout, invoice=final_invoice)
        ).pk
        == posted.pk
    )


def test_opening_a_checkout_is_audited_and_refused_on_a_settled_invoice(final_invoice, cashier):
    from hms.audit.models import AuditEvent
    from hms.billing import services
    from hms.billing.services.online import start_online_checkout
    from hms.core.errors import Conflict

    checkout = start_online_checkout(actor=cashier, invoice=final_invoice, gateway="manual")

    assert checkout.amount == Decimal("2856.00")
    assert AuditEvent.objects.filter(reason__contains=checkout.reference).exists()
    services.take_payment(
        actor=cashier, invoice=final_invoice, amount="2856", method="card", reference="T-2"
    )
    with pytest.raises(Conflict):
        start_online_checkout(actor=cashier, invoice=final_invoice, gateway="manual")
