"""A patient's account and an invoice's life before the till: invoicing the unbilled
charges in one action, a charge added by hand, a deposit, a discount (with a
supervisor above the threshold), finalising; and the shift's close and hand-over."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from hms.accounts.testing import verified_session
from hms.billing import services
from hms.billing.models import Charge, Invoice, Payment, Shift

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    return verified_session(Client(), user)


@pytest.fixture
def charged(tariff, clerk, patient):
    for n, item in enumerate(["CONS", "FBC"]):
        services.capture_charge(
            actor=clerk,
            patient=patient,
            item_code=item,
            source=f"web-test:{n}",
            service_date=dt.date(2026, 3, 2),
        )
    return patient


def account_url(patient) -> str:
    return reverse("billing:account", args=[patient.external_id])


def test_the_account_lists_unbilled_charges_and_invoices_them_in_one_action(cashier, charged):
    client = signed_in(cashier)

    page = client.get(account_url(charged)).content.decode()
    response = client.post(reverse("billing:draft-invoice", args=[charged.external_id]))

    assert "Full blood count" in page
    assert "Invoice unbilled charges" in page
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice", args=[invoice.external_id])
    assert (invoice.status, invoice.total) == ("draft", Decimal("1928.00"))


def test_invoicing_with_nothing_unbilled_says_so(cashier, patient):
    response = signed_in(cashier).post(reverse("billing:draft-invoice", args=[patient.external_id]))

    assert response.status_code == 409
    assert "no unbilled charges" in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_clerk_adds_a_charge_once_even_when_submitted_twice(clerk, tariff, patient):
    client = signed_in(clerk)
    data = {"item": "FBC", "quantity": "2", "note": "", "key": str(uuid.uuid4())}

    first = client.post(reverse("billing:add-charge", args=[patient.external_id]), data)
    again = client.post(reverse("billing:add-charge", args=[patient.external_id]), data)

    assert first.status_code == again.status_code == 302
    charge = Charge.objects.get()
    assert (charge.item.code, charge.quantity, charge.amount) == ("FBC", 2, Decimal("1600.00"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"item": "NOPE", "quantity": "1"}, "item", "NOPE"),
        ({"item": "FBC", "quantity": "0"}, "quantity", "quantity"),
        ({"item": "FBC", "quantity": "abc"}, "quantity", "Enter a number"),
        ({"item": "FB\x00C", "quantity": "1"}, "item", ""),
    ],
)
def test_a_bad_charge_is_refused_on_its_field(clerk, tariff, patient, data, field, message):
    data = {**data, "key": str(uuid.uuid4())}

    response = signed_in(clerk).post(
        reverse("billing:add-charge", args=[patient.external_id]), data
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}"' in html
    assert message in html
    assert 'class="error"' in html
    assert not Charge.objects.exists()


def test_a_cashier_may_not_add_charges(cashier, tariff, patient):
    data = {"item": "FBC", "quantity": "1", "key": str(uuid.uuid4())}

    response = signed_in(cashier).post(
        reverse("billing:add-charge", args=[patient.external_id]), data
    )

    assert response.status_code == 403
    assert "Add a charge" not in signed_in(cashier).get(account_url(patient)).content.decode()
    assert not Charge.objects.exists()


def test_item_options_offer_matching_items(clerk, tariff):
    html = signed_in(clerk).get(reverse("billing:item-options"), {"item": "blood"}).content.decode()

    assert '<option value="FBC">Full blood count</option>' in html
    assert "CONS" not in html


def test_a_deposit_opens_its_receipt_and_shows_on_the_account(cashier, facility, patient):
    services.open_shift(actor=cashier, facility=facility, opening_float="0")
    client = signed_in(cashier)

    response = client.post(
        reverse("billing:deposit", args=[patient.external_id]), {"amount": "5000", "method": "cash"}
    )

    payment = Payment.objects.get()
    assert response["Location"] == reverse("billing:receipt", args=[payment.external_id])
    assert "5,000.00 held on deposit" in client.get(response["Location"]).content.decode()
    assert "5,000.00 KES" in client.get(account_url(patient)).content.decode()


def test_a_card_deposit_without_its_slip_number_is_refused(cashier, patient):
    response = signed_in(cashier).post(
        reverse("billing:deposit", args=[patient.external_id]),
        {"amount": "5000", "method": "card", "reference": ""},
    )

    assert response.status_code == 400
    assert 'id="id_reference"' in response.content.decode()
    assert "slip number" in response.content.decode()
    assert not Payment.objects.exists()


@pytest.fixture
def draft(clerk, charged):
    return services.draft_invoice(actor=clerk, patient=charged)


def test_a_small_discount_then_finalise(cashier, draft):
    client = signed_in(cashier)
    url = reverse("billing:discount", args=[draft.external_id])

    response = client.post(url, {"percent": "5", "amount": "", "reason": "Loyal patient"})
    final = client.post(reverse("billing:finalise", args=[draft.external_id]))

    assert response.status_code == final.status_code == 302
    draft.refresh_from_db()
    assert draft.discount_total == Decimal("90.00")
    assert draft.status == "final"
    assert draft.number
    page = client.get(reverse("billing:invoice", args=[draft.external_id])).content.decode()
    assert "Take payment" in page
    assert draft.number in page


def test_a_large_discount_needs_a_supervisor_and_says_so(cashier, draft):
    url = reverse("billing:discount", args=[draft.external_id])

    response = signed_in(cashier).post(url, {"percent": "50", "reason": "Hardship"})

    html = response.content.decode()
    assert response.status_code == 403
    assert "needs a supervisor" in html
    assert 'id="id_percent"' in html
    draft.refresh_from_db()
    assert draft.discount_total == 0


def test_a_discount_both_ways_at_once_is_refused(supervisor, draft):
    url = reverse("billing:discount", args=[draft.external_id])

    response = signed_in(supervisor).post(url, {"percent": "5", "amount": "10", "reason": "Both"})

    assert response.status_code == 400
    assert "not both" in response.content.decode()
    draft.refresh_from_db()
    assert draft.discount_total == 0


def test_the_invoice_pdf_is_a_pdf(cashier, draft):
    response = signed_in(cashier).get(reverse("billing:invoice-pdf", args=[draft.external_id]))

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_shift_closes_with_its_variance_and_is_handed_over(cashier, make_user, facility):
    shift = services.open_shift(actor=cashier, facility=facility, opening_float="1000")
    colleague = make_user("cashier")
    client = signed_in(cashier)
    assert "Cash counted" in client.get(reverse("billing:shift")).content.decode()

    closed = client.post(
        reverse("billing:shift-close", args=[shift.external_id]), {"cash": "990", "note": ""}
    )
    page = client.get(reverse("billing:shift")).content.decode()
    handed = client.post(
        reverse("billing:shift-hand-over", args=[shift.external_id]), {"to": colleague.pk}
    )

    assert closed.status_code == handed.status_code == 302
    assert "-10.00" in page
    shift.refresh_from_db()
    assert (shift.status, shift.variance, shift.handed_over_to) == (
        Shift.Status.HANDED_OVER,
        Decimal("-10.00"),
        colleague,
    )


def test_a_count_that_is_not_an_amount_leaves_the_shift_open(cashier, facility):
    shift = services.open_shift(actor=cashier, facility=facility, opening_float="1000")

    response = signed_in(cashier).post(
        reverse("billing:shift-close", args=[shift.external_id]), {"cash": "-1"}
    )

    assert response.status_code == 400
    assert 'id="id_cash"' in response.content.decode()
    shift.refresh_from_db()
    assert shift.status == Shift.Status.OPEN


def test_handing_over_to_oneself_is_refused(cashier, facility):
    shift = services.open_shift(actor=cashier, facility=facility, opening_float="0")
    services.close_shift(actor=cashier, shift=shift, counts={"cash": "0"})

    response = signed_in(cashier).post(
        reverse("billing:shift-hand-over", args=[shift.external_id]), {"to": cashier.pk}
    )

    assert response.status_code == 400
    assert 'id="id_to"' in response.content.decode()
    shift.refresh_from_db()
    assert shift.status == Shift.Status.CLOSED


@pytest.fixture
def final(clerk, charged):
    return services.finalise_invoice(
        actor=clerk, invoice=services.draft_invoice(actor=clerk, patient=charged)
    )


def test_a_supervisor_credits_part_of_a_final_invoice(supervisor, final):
    url = reverse("billing:credit-note", args=[final.external_id])

    response = signed_in(supervisor).post(
        url, {"credit-amount": "100", "credit-reason": "Test not done"}
    )

    assert response.status_code == 302
    final.refresh_from_db()
    assert final.amount_credited == Decimal("100.00")


def test_a_cashier_cannot_void_and_is_told_why(cashier, final):
    url = reverse("billing:void", args=[final.external_id])

    response = signed_in(cashier).post(url, {"void-reason": "Wrong patient"})

    assert response.status_code == 403
    assert "needs a supervisor" in response.content.decode()
    final.refresh_from_db()
    assert final.status == "final"


def test_a_void_without_a_reason_is_refused_on_its_field(supervisor, final):
    url = reverse("billing:void", args=[final.external_id])

    response = signed_in(supervisor).post(url, {"void-reason": ""})

    assert response.status_code == 400
    assert 'id="id_void-reason"' in response.content.decode()
    final.refresh_from_db()
    assert final.status == "final"


def test_a_supervisor_voids_an_unpaid_invoice(supervisor, final):
    url = reverse("billing:void", args=[final.external_id])

    response = signed_in(supervisor).post(url, {"void-reason": "Wrong patient"})

    assert response.status_code == 302
    final.refresh_from_db()
    assert final.status == "void"
