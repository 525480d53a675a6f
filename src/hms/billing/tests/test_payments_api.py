"""The till over REST: a split payment with its receipt and invoice PDFs, deposits,
refunds and a shift; hostile input answered 400 naming the field, nothing saved."""

from __future__ import annotations

import io
import uuid

import pytest
from pypdf import PdfReader

from hms.billing.models import Payment, Refund, Shift

PAYMENTS = "/api/v1/billing/payments/"
SHIFTS = "/api/v1/billing/shifts/"


@pytest.fixture
def cashier_api(api_client_for):
    return api_client_for("cashier")


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for("admin")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def a_payment(target, **changes):
    return {"invoice": str(target.external_id), "amount": "1000", "method": "cash", **changes}


@pytest.mark.django_db
def test_a_split_payment_with_receipt_and_invoice_pdf(final_invoice, cashier_api, facility):
    facility.address, facility.phone = "1 River Road, Kisumu", "+254 700 000 000"
    facility.save()
    opened = cashier_api.post(SHIFTS, {"opening_float": "500"}, format="json")
    assert opened.status_code == 201, opened.json()

    cash = cashier_api.post(PAYMENTS, a_payment(final_invoice), format="json")
    card = cashier_api.post(
        PAYMENTS,
        a_payment(final_invoice, amount="1856", method="card", reference="TRM-77"),
        format="json",
    )

    assert (cash.status_code, card.status_code) == (201, 201), card.json()
    invoice = cashier_api.get(f"/api/v1/billing/invoices/{final_invoice.external_id}/").json()
    assert (invoice["status"], invoice["amount_paid"], invoice["balance"]) == (
        "paid",
        "2856.00",
        "0.00",
    )
    listed = cashier_api.get(PAYMENTS, {"invoice": str(final_invoice.external_id)}).json()
    assert {p["receipt_number"] for p in listed} == {
        cash.json()["receipt_number"],
        card.json()["receipt_number"],
    }

    receipt = cashier_api.get(f"{PAYMENTS}{card.json()['id']}/receipt/")
    assert receipt["Content-Type"] == "application/pdf"
    text = pdf_text(receipt.content)
    assert card.json()["receipt_number"] in text
    for expected in ("Riverside General", "+254 700 000 000", "1,856.00 KES", "TRM-77"):
        assert expected in text

    pdf = cashier_api.get(f"/api/v1/billing/invoices/{final_invoice.external_id}/pdf/")
    text = pdf_text(pdf.content)
    assert final_invoice.number in text
    assert "1 River Road, Kisumu" in text
    assert "Full blood count" in text
    assert "2,856.00 KES" in text  # the total
    assert "Balance due\n0.00 KES" in text

    shift = cashier_api.get(f"{SHIFTS}current/").json()
    assert {t["method"]: t["net"] for t in shift["takings"]} == {
        "cash": "1000.00",
        "card": "1856.00",
    }
    closed = cashier_api.post(
        f"{SHIFTS}{shift['id']}/close/",
        {"counts": {"cash": "1500", "card": "1856"}},
        format="json",
    )
    assert (closed.status_code, closed.json()["variance"]) == (200, "0.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 10.5}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1e12"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": " 10 "}, "amount"),
        ({"amount": "\uff11\uff10"}, "amount"),  # full-width 10
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": "9999"}, "amount"),  # above the balance
        ({"method": "cheque"}, "method"),
        ({"method": "online", "reference": "X1"}, "method"),  # posted by gateways only
        ({"method": "card"}, "reference"),  # a card slip number is required
        ({"method": "card", "reference": "a\x00b"}, "reference"),
        ({"invoice": str(uuid.uuid4())}, "invoice"),
        ({"invoice": "nope"}, "invoice"),
        ({"surprise": 1}, "surprise"),
        ({"surplus_to_deposit": "maybe"}, "surplus_to_deposit"),
    ],
)
def test_hostile_payments_are_400_naming_the_field(final_invoice, cashier_api, changes, field):
    cashier_api.post(SHIFTS, {"opening_float": "0"}, format="json")

    response = cashier_api.post(PAYMENTS, a_payment(final_invoice, **changes), format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body.get("field") == field or field in body.get("errors", {}), body
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_deposits_and_refunds_over_rest(tariff, patient, cashier_api, admin_api, clerk):
    from hms.billing.tests.payment_helpers import final_invoice_for

    admin_api.post(SHIFTS, {"opening_float": "0"}, format="json")
    deposit = admin_api.post(
        "/api/v1/billing/deposits/",
        {
            "patient": str(patient.external_id),
            "amount": "5000",
            "method": "mobile_money",
            "reference": "QGH7XK2M1P",
        },
        format="json",
    )
    assert deposit.status_code == 201, deposit.json()
    invoice = final_invoice_for(clerk, patient)
    applied = cashier_api.post(
        f"/api/v1/billing/invoices/{invoice.external_id}/apply-deposit/", {}, format="json"
    )
    assert (applied.status_code, applied.json()["status"]) == (200, "paid")
    held = cashier_api.get("/api/v1/billing/deposits/", {"patient": str(patient.external_id)})
    assert held.json()["balance"] == "2144.00"

    # a cashier alone refunds nothing; a supervisor refunds no more than was paid
    refund = {
        "invoice": str(invoice.external_id),
        "amount": "100",
        "method": "cash",
        "reason": "lab test cancelled",
    }
    assert cashier_api.post("/api/v1/billing/refunds/", refund, format="json").status_code == 403
    too_much = admin_api.post(
        "/api/v1/billing/refunds/", {**refund, "amount": "2856.01"}, format="json"
    )
    assert (too_much.status_code, too_much.json()["code"]) == (400, "REFUND_ABOVE_PAID")
    no_reason = admin_api.post("/api/v1/billing/refunds/", {**refund, "reason": ""}, format="json")
    assert no_reason.status_code == 400
    assert Refund.objects.count() == 0
    done = admin_api.post("/api/v1/billing/refunds/", refund, format="json")
    assert done.status_code == 201, done.json()
    listed = admin_api.get("/api/v1/billing/refunds/", {"patient": str(patient.external_id)})
    assert [r["number"] for r in listed.json()] == [done.json()["number"]]


@pytest.mark.django_db
def test_shift_handover_over_rest(cashier_api, api_client_for):
    relief = api_client_for("cashier")
    shift = cashier_api.post(SHIFTS, {"opening_float": "200"}, format="json").json()
    again = cashier_api.post(SHIFTS, {"opening_float": "200"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "SHIFT_ALREADY_OPEN")
    bad = cashier_api.post(
        f"{SHIFTS}{shift['id']}/close/", {"counts": {"cash": 1.5}}, format="json"
    )
    assert bad.status_code == 400
    assert "counts" in bad.json()["errors"]
    cashier_api.post(f"{SHIFTS}{shift['id']}/close/", {"counts": {"cash": "190"}}, format="json")

    handed = cashier_api.post(
        f"{SHIFTS}{shift['id']}/handover/", {"to": str(relief.user.external_id)}, format="json"
    )

    assert handed.status_code == 200, handed.json()
    assert (handed.json()["status"], handed.json()["variance"]) == ("handed_over", "-10.00")
    assert Shift.objects.get().handed_over_to == relief.user


@pytest.mark.django_db
def test_a_split_payment_in_one_request_is_all_or_none(final_invoice, cashier_api):
    url = f"{PAYMENTS}split/"
    parts = [
        {"method": "cash", "amount": "1000.00"},
        {"method": "card", "amount": "856.00"},  # no terminal slip number
    ]
    assert cashier_api.post(SHIFTS, {"opening_float": "0"}, format="json").status_code == 201

    body = {"invoice": str(final_invoice.external_id), "parts": parts}
    refused = cashier_api.post(url, body, format="json")
    assert refused.status_code == 400
    assert refused.json()["field"] == "parts[1].reference"
    assert Payment.objects.count() == 0  # the cash part was not kept either

    parts[1]["reference"] = "SLIP-0042"
    taken = cashier_api.post(
        url, {"invoice": str(final_invoice.external_id), "parts": parts}, format="json"
    )
    assert taken.status_code == 201, taken.json()
    assert [p["method"] for p in taken.json()] == ["cash", "card"]
    final_invoice.refresh_from_db()
    assert final_invoice.balance == 1000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "parts",
    [[], "cash", [{"method": "cash"}], [{"method": "gold", "amount": "1"}], [{}] * 9],
)
def test_hostile_split_payments_are_400(final_invoice, cashier_api, parts):
    body = {"invoice": str(final_invoice.external_id), "parts": parts}
    response = cashier_api.post(f"{PAYMENTS}split/", body, format="json")
    assert response.status_code == 400
    assert Payment.objects.count() == 0
