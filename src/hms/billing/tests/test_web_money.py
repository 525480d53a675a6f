"""Amounts on screen read as on paper ("1,302.40"), and a covered patient's receipt
and invoice show what the patient owes apart from what the payer owes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from hms.accounts.testing import verified_session
from hms.billing import services
from hms.billing.services import insurance
from hms.billing.tests.claim_helpers import START, payer_and_plan
from hms.billing.tests.payment_helpers import final_invoice_for

pytestmark = pytest.mark.django_db


def pay_by_card(cashier, invoice, amount: str):
    return services.take_payment(
        actor=cashier, invoice=invoice, amount=amount, method="card", reference=f"T-{amount}"
    )


def page(user, name: str, external_id) -> str:
    response = verified_session(Client(), user).get(reverse(name, args=[external_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_self_pay_receipt_shows_amounts_with_thousands_separators(cashier, final_invoice):
    payment = pay_by_card(cashier, final_invoice, "1000")

    receipt = page(cashier, "billing:receipt", payment.external_id)

    assert "1,000.00 KES" in receipt
    assert "balance left 1,856.00" in receipt
    assert "1856.00" not in receipt
    assert 'data-testid="payer-balance"' not in receipt


@pytest.fixture
def covered_invoice(supervisor, clerk, facility, tariff, patient):
    """2,856.00 KES on a plan with a 200 co-pay and 10 % co-insurance: the patient's
    part 465.60 (200 + a tenth of 2,656), the payer's 2,390.40."""
    _, plan = payer_and_plan(supervisor, facility, tariff)
    insurance.add_coverage(
        actor=clerk, patient=patient, plan=plan, member_id="AAR-1", valid_from=START
    )
    invoice = final_invoice_for(clerk, patient)
    assert (invoice.patient_amount, invoice.payer_amount) == (
        Decimal("465.60"),
        Decimal("2390.40"),
    )
    return invoice


def test_a_covered_receipt_never_counts_the_payers_share_as_the_patients_debt(
    cashier, covered_invoice
):
    payment = pay_by_card(cashier, covered_invoice, "465.60")

    receipt = page(cashier, "billing:receipt", payment.external_id)

    assert "balance left 0.00 · paid in full" in receipt
    assert "payer's part still owed 2,390.40" in receipt
    assert "balance left 2,390.40" not in receipt


def test_the_invoice_page_shows_the_patients_and_the_payers_balances_apart(
    cashier, covered_invoice
):
    before = page(cashier, "billing:invoice", covered_invoice.external_id)
    pay_by_card(cashier, covered_invoice, "100")
    after = page(cashier, "billing:invoice", covered_invoice.external_id)

    assert '<dd class="strong" data-testid="balance">2,856.00 KES</dd>' in before
    assert '<dd data-testid="patient-balance">465.60</dd>' in before
    assert '<dd data-testid="payer-balance">2,390.40</dd>' in before
    assert '<dd data-testid="patient-balance">365.60</dd>' in after
    assert '<dd data-testid="payer-balance">2,390.40</dd>' in after
