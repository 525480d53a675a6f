"""The cashier's pages: the desk finds a patient, an invoice or a receipt; a split
payment in one submit lands on its receipts with the change; refused input is shown
on the field it concerns and saves nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from hms.accounts.testing import verified_session
from hms.billing import services
from hms.billing.models import Invoice, Payment, Refund, Shift

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    return verified_session(Client(), user)


@pytest.fixture
def till(cashier, facility):
    return services.open_shift(actor=cashier, facility=facility, opening_float="500")


def pay_url(invoice) -> str:
    return reverse("billing:pay", args=[invoice.external_id])


def test_the_desk_shows_the_shift_form_then_opens_a_shift(cashier, facility):
    client = signed_in(cashier)

    html = client.get("/billing/").content.decode()
    response = client.post(
        reverse("billing:shift-open"), {"opening_float": "1000", "back": "/billing/"}
    )

    assert "Open shift" in html
    assert response.status_code == 302
    assert response["Location"] == "/billing/"
    shift = Shift.objects.get(cashier=cashier)
    assert (shift.status, shift.opening_float) == ("open", Decimal("1000.00"))
    assert "Takings and close" in client.get("/billing/").content.decode()


def test_a_shift_float_that_is_not_an_amount_is_refused_on_its_field(cashier):
    response = signed_in(cashier).post(reverse("billing:shift-open"), {"opening_float": "lots"})

    assert response.status_code == 400
    assert 'id="id_opening_float"' in response.content.decode()
    assert "Write the amount in digits" in response.content.decode()
    assert not Shift.objects.exists()


def test_the_desk_opens_an_invoice_by_its_number(cashier, final_invoice):
    response = signed_in(cashier).get("/billing/", {"q": final_invoice.number.lower()})

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice", args=[final_invoice.external_id])


def test_the_desk_opens_the_only_patient_found_and_lists_waiting_invoices(
    cashier, final_invoice, patient
):
    client = signed_in(cashier)

    found = client.get("/billing/", {"q": patient.mrn})
    live = client.get("/billing/", {"q": "Juma"}, headers={"HX-Request": "true"})
    desk = client.get("/billing/").content.decode()

    assert found["Location"] == reverse("billing:account", args=[patient.external_id])
    assert reverse("billing:account", args=[patient.external_id]) in live.content.decode()
    assert final_invoice.number in desk


def test_a_split_payment_lands_on_both_receipts_with_the_change(cashier, till, final_invoice):
    client = signed_in(cashier)
    page = client.get(reverse("billing:invoice", args=[final_invoice.external_id]))
    assert 'value="2856.00"' in page.content.decode()  # the cash field holds the balance

    response = client.post(
        pay_url(final_invoice),
        {"cash": "2000", "tendered": "2500", "card": "856", "card_reference": "TRM-0042"},
    )

    cash, card = Payment.objects.order_by("id")
    assert (cash.method, cash.amount, card.method, card.reference) == (
        "cash",
        Decimal("2000.00"),
        "card",
        "TRM-0042",
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("billing:receipt", args=[cash.external_id]))
    receipt = client.get(response["Location"]).content.decode()
    assert cash.receipt_number in receipt
    assert card.receipt_number in receipt
    assert "500.00 KES" in receipt  # the change
    # each receipt shows what its own part left owing, not today's balance
    assert "balance left 856.00" in receipt
    assert "balance left 0.00 · paid in full" in receipt
    assert "Print receipts" in receipt
    final_invoice.refresh_from_db()
    assert final_invoice.status == Invoice.Status.PAID


def test_the_receipt_pdf_is_a_pdf(cashier, till, final_invoice):
    payment = services.take_payment(
        actor=cashier, invoice=final_invoice, amount="100", method="cash"
    )

    response = signed_in(cashier).get(reverse("billing:receipt-pdf", args=[payment.external_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert payment.receipt_number in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # the card part refused: the cash part is not taken either
        ({"cash": "2000", "card": "856", "card_reference": ""}, "card_reference", "slip number"),
        ({"cash": "2000", "card": "900", "card_reference": "T1"}, "card", "the balance is"),
        ({"cash": "-5"}, "cash", "cannot be below zero"),
        ({"cash": "1e400"}, "cash", "Write the amount in digits"),
        ({"cash": "1e3"}, "cash", "Write the amount in digits"),
        ({"cash": " 10 "}, "cash", "Write the amount in digits"),
        ({"cash": "\uff11\uff10"}, "cash", "Write the amount in digits"),  # full-width 10
        ({"cash": "NaN"}, "cash", "Write the amount in digits"),
        ({"cash": "Infinity"}, "cash", "Write the amount in digits"),
        ({"cash": "10.005"}, "cash", "at most 2 decimal places"),
        ({"cash": "99999999999"}, "cash", "above"),
        ({"cash": "", "card": ""}, "cash", "at least one method"),
        ({"cash": "100", "tendered": "50"}, "tendered", "less than the cash"),
        (
            {"mobile_money": "10", "mobile_money_reference": "<script>"},
            "mobile_money_reference",
            "letters and digits",
        ),
    ],
)
def test_hostile_payment_input_is_refused_on_its_field(
    cashier, till, final_invoice, data, field, message
):
    response = signed_in(cashier).post(pay_url(final_invoice), data)

    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}"' in html
    assert message in html
    assert not Payment.objects.exists()
    final_invoice.refresh_from_db()
    assert final_invoice.amount_paid == 0


def test_cash_without_an_open_shift_is_refused(cashier, final_invoice):
    response = signed_in(cashier).post(pay_url(final_invoice), {"cash": "100"})

    assert response.status_code == 409
    assert "Open a cashier shift" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_cashier_alone_cannot_refund_and_is_told_why(cashier, till, final_invoice):
    services.take_payment(actor=cashier, invoice=final_invoice, amount="100", method="cash")
    url = reverse("billing:refund", args=[final_invoice.external_id])

    response = signed_in(cashier).post(
        url, {"amount": "50", "method": "cash", "reason": "Overcharged"}
    )

    assert response.status_code == 403
    assert "A refund needs a supervisor" in response.content.decode()
    assert not Refund.objects.exists()


def test_a_supervisor_refunds_on_the_invoice(supervisor, cashier, facility, till, final_invoice):
    services.take_payment(
        actor=cashier, invoice=final_invoice, amount="100", method="card", reference="T9"
    )
    url = reverse("billing:refund", args=[final_invoice.external_id])

    response = signed_in(supervisor).post(
        url, {"amount": "40", "method": "card", "reference": "T9-R", "reason": "Overcharged"}
    )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason) == (Decimal("40.00"), "Overcharged")


def test_a_refund_without_a_reason_is_refused_on_its_field(
    supervisor, cashier, till, final_invoice
):
    services.take_payment(actor=cashier, invoice=final_invoice, amount="100", method="cash")
    url = reverse("billing:refund", args=[final_invoice.external_id])

    response = signed_in(supervisor).post(url, {"amount": "40", "method": "cash", "reason": ""})

    assert response.status_code == 400
    assert 'id="id_reason"' in response.content.decode()
    assert not Refund.objects.exists()


def test_an_invoice_of_another_facility_is_404(make_user, other_facility, final_invoice):
    stranger = make_user("cashier", at=other_facility)

    response = signed_in(stranger).get(reverse("billing:invoice", args=[final_invoice.external_id]))

    assert response.status_code == 404
