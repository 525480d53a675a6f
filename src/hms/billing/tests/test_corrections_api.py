"""Credit notes, voids, discarded drafts and packages over REST: each a thin door onto
its service, 4xx naming the field on bad input, nothing saved."""

import pytest

from hms.billing import services
from hms.billing.models import BillableItem, CreditNote, Invoice, Package

INVOICES = "/api/v1/billing/invoices/"
PACKAGES = "/api/v1/billing/packages/"


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for("admin")


@pytest.fixture
def clerk_api(api_client_for):
    return api_client_for("billing_clerk")


def test_a_credit_note_over_rest(final_invoice, admin_api, clerk_api):
    url = f"{INVOICES}{final_invoice.external_id}/credit-notes/"

    refused = clerk_api.post(url, {"amount": "100.00", "reason": "x"}, format="json")
    created = admin_api.post(url, {"amount": "100.00", "reason": "Goodwill"}, format="json")

    assert refused.status_code == 403
    assert created.status_code == 201, created.json()
    assert created.json()["number"].startswith("RGH-CN-")
    assert [n["id"] for n in clerk_api.get(url).json()] == [created.json()["id"]]
    invoice = clerk_api.get(f"{INVOICES}{final_invoice.external_id}/").json()
    assert (invoice["amount_credited"], invoice["balance"]) == ("100.00", "2756.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": 1.5, "reason": "x"}, "amount"),
        ({"amount": "9999999", "reason": "x"}, "amount"),
        ({"amount": "-1", "reason": "x"}, "amount"),
        ({"amount": "10"}, "reason"),
        ({"amount": "10", "reason": "x" * 501}, "reason"),
        ({"amount": "10", "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_hostile_credit_notes_are_400(final_invoice, admin_api, body, field):
    url = f"{INVOICES}{final_invoice.external_id}/credit-notes/"
    response = admin_api.post(url, body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert CreditNote.objects.count() == 0


def test_void_then_discard_over_rest(final_invoice, admin_api, patient):
    voided = admin_api.post(
        f"{INVOICES}{final_invoice.external_id}/void/", {"reason": "Wrong patient"}, format="json"
    )
    assert voided.status_code == 200
    assert (voided.json()["status"], voided.json()["void_reason"]) == ("void", "Wrong patient")

    draft = admin_api.post(INVOICES, {"patient": str(patient.external_id)}, format="json")
    gone = admin_api.post(f"{INVOICES}{draft.json()['id']}/discard/", {}, format="json")
    assert gone.status_code == 204
    assert not Invoice.objects.filter(external_id=draft.json()["id"]).exists()
    again = admin_api.post(
        f"{INVOICES}{final_invoice.external_id}/void/", {"reason": "x"}, format="json"
    )
    assert again.status_code == 409


def test_packages_over_rest(tariff, admin_api, clerk_api, patient, facility, supervisor):
    services.add_billable_item(
        actor=supervisor, facility=facility, code="PKG", name="Check-up", kind="package"
    )
    services.set_price(
        actor=supervisor,
        item=BillableItem.objects.get(code="PKG"),
        price_list=tariff.self_pay,
        amount="1500",
        tax_rate="0",
        valid_from=tariff.self_pay.prices.first().valid_from,
    )
    body = {"item": "PKG", "components": [{"item": "CONS", "quantity": "1"}, {"item": "FBC"}]}
    defined = admin_api.post(PACKAGES, body, format="json")
    assert defined.status_code == 201, defined.json()
    assert defined.json()["components"] == [
        {"item": "CONS", "quantity": "1.000"},
        {"item": "FBC", "quantity": None},
    ]
    assert clerk_api.post(PACKAGES, body, format="json").status_code == 403

    for n, code in enumerate(["CONS", "FBC", "FBC"]):
        services.capture_charge(actor=supervisor, patient=patient, item_code=code, source=f"p{n}")
    draft = clerk_api.post(INVOICES, {"patient": str(patient.external_id)}, format="json").json()
    url = f"{INVOICES}{draft['id']}/packages/"
    applied = clerk_api.post(url, {"item": "PKG"}, format="json")
    assert applied.status_code == 200, applied.json()
    assert applied.json()["total"] == "1500.00"
    assert [line["absorbed_by"] for line in applied.json()["lines"]] == [4, 4, 4, None]

    removed = admin_api.post(f"{url}PKG/remove/", {"reason": "Declined"}, format="json")
    assert removed.json()["total"] == "2856.00"


@pytest.mark.parametrize(
    "body",
    [
        {"item": "PKG"},
        {"item": "PKG", "components": "CONS"},
        {"item": "PKG", "components": [{"item": "CONS", "quantity": 1.5}]},
        {"item": "PKG", "components": [{"item": "NOPE"}]},
        {"item": "CONS", "components": [{"item": "FBC"}]},
        {"item": "x" * 300, "components": []},
    ],
)
def test_hostile_packages_are_400(tariff, admin_api, body):
    response = admin_api.post(PACKAGES, body, format="json")
    assert response.status_code == 400, response.json()
    assert Package.objects.count() == 0
