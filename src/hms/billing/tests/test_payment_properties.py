"""Whatever payments and refunds are attempted on an invoice, in whatever order and
amounts, the money adds up: paid less refunded never exceeds the total, refunds never
exceed what was paid, and balance == total - paid + refunded (hypothesis)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hms.billing import services
from hms.billing.models import Invoice, PaymentAllocation, Refund
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.core.errors import DomainError
from hms.patients.testing import registered

_references = itertools.count(1)
amounts = st.integers(min_value=1, max_value=300_000).map(lambda cents: Decimal(cents) / 100)
steps = st.lists(
    st.tuples(st.sampled_from(["pay", "refund"]), amounts, st.booleans()), min_size=1, max_size=8
)


def _attempt(supervisor, invoice, kind, amount, surplus):
    reference = f"P-{next(_references)}"
    if kind == "pay":
        services.take_payment(
            actor=supervisor,
            invoice=invoice,
            amount=str(amount),
            method="card",
            reference=reference,
            surplus_to_deposit=surplus,
        )
    else:
        services.refund_invoice(
            actor=supervisor,
            invoice=invoice,
            amount=str(amount),
            method="card",
            reference=reference,
            reason="property test",
        )


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_payments_and_refunds_keep_the_invoice_balanced(tariff, clerk, supervisor, facility, steps):
    invoice = final_invoice_for(clerk, registered(facility), blood_counts=1)  # 1,928.00
    for kind, amount, surplus in steps:
        before = Invoice.objects.get(pk=invoice.pk)
        try:
            _attempt(supervisor, invoice, kind, amount, surplus)
        except DomainError:
            after = Invoice.objects.get(pk=invoice.pk)
            assert (after.amount_paid, after.amount_refunded) == (
                before.amount_paid,
                before.amount_refunded,
            )
            continue
        stored = Invoice.objects.get(pk=invoice.pk)
        paid, refunded = stored.amount_paid, stored.amount_refunded
        assert paid - refunded <= stored.total
        assert 0 <= refunded <= paid
        assert stored.balance == stored.total - paid + refunded
        assert 0 <= stored.balance <= stored.total
        assert stored.status == ("paid" if stored.balance == 0 else "final")
        assert paid == sum(a.amount for a in PaymentAllocation.objects.filter(invoice=stored))
        assert refunded == sum(r.amount for r in Refund.objects.filter(invoice=stored))
