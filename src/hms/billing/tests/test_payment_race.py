"""Cashiers paying one invoice at once, in real threads on PostgreSQL: the invoice's
row lock makes each read the balance the one before left, so it is never overpaid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from hms.billing import services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Invoice, Payment, PaymentAllocation
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.billing.tests.test_concurrency import THREADS, race
from hms.core.errors import DomainError

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers: pytest-django's shared-cache in-memory SQLite "
        "database fails a second writer at once with 'database table is locked'",
    ),
    pytest.mark.django_db(transaction=True),
]


def pay_at_once(invoice, cashiers, amount):
    def pay(i):
        try:
            return services.take_payment(
                actor=cashiers[i],
                invoice=invoice,
                amount=amount,
                method="card",
                reference=f"RACE-{i}",
            ).receipt_number
        except DomainError as exc:
            return exc.code

    return race(pay)


def test_cashiers_paying_the_whole_balance_at_once_pay_it_once(tariff, clerk, patient, make_user):
    invoice = final_invoice_for(clerk, patient)
    cashiers = [make_user("cashier") for _ in range(THREADS)]

    answers = pay_at_once(invoice, cashiers, "2856")

    receipts = [a for a in answers if a.startswith("RGH-RCT-")]
    assert len(receipts) == 1, answers
    assert set(answers) - set(receipts) <= {
        BillingErrorCode.INVOICE_NOT_PAYABLE,
        BillingErrorCode.AMOUNT_ABOVE_BALANCE,
    }
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance) == ("paid", invoice.total, 0)
    assert Payment.objects.count() == 1


def test_partial_payments_at_once_stop_at_the_total(tariff, clerk, patient, make_user):
    invoice = final_invoice_for(clerk, patient)  # 2,856.00
    cashiers = [make_user("cashier") for _ in range(THREADS)]

    answers = pay_at_once(invoice, cashiers, "500")

    taken = sorted(a for a in answers if a.startswith("RGH-RCT-"))
    assert len(taken) == 5, answers  # 5 x 500 = 2,500; a sixth would pass 2,856
    year = taken[0].split("-")[2]
    assert taken == [f"RGH-RCT-{year}-{n:06d}" for n in range(1, 6)]  # gapless
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.amount_paid == Decimal("2500.00")
    assert invoice.balance == Decimal("356.00")
    assert sum(a.amount for a in PaymentAllocation.objects.all()) == Decimal("2500.00")
