"""Billing over REST: the happy path of the loop, and hostile input answered 400 naming
the field with nothing saved."""

import uuid

import pytest

from hms.billing.models import BillableItem, Charge, Invoice, Price
from hms.patients.testing import registered

CHARGES = "/api/v1/billing/charges/"
INVOICES = "/api/v1/billing/invoices/"


@pytest.fixture
def clerk_api(api_client_for):
    return api_client_for("billing_clerk")


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for("admin")


def a_charge(who, **changes):
    return {
        "patient": str(who.external_id),
        "item_code": "FBC",
        "source": "lab:7",
        "quantity": "2",
        "service_date": "2026-03-02",
        **changes,
    }


def test_capture_draft_discount_and_finalise(tariff, patient, clerk_api, admin_api):
    # capture, twice: the retry answers the same charge
    first = clerk_api.post(CHARGES, a_charge(patient), format="json")
    again = clerk_api.post(CHARGES, a_charge(patient), format="json")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["amount"] == "1600.00"

    listed = clerk_api.get(CHARGES, {"patient": str(patient.external_id)})
    assert [c["id"] for c in listed.json()] == [first.json()["id"]]

    # draft, discount, finalise
    draft = clerk_api.post(INVOICES, {"patient": str(patient.external_id)}, format="json")
    assert draft.status_code == 201, draft.json()
    url = f"{INVOICES}{draft.json()['id']}/"
    discounted = clerk_api.post(
        f"{url}discount/", {"percent": "5", "reason": "loyal"}, format="json"
    )
    assert discounted.json()["total"] == "1763.20"
    final = clerk_api.post(f"{url}finalise/", {}, format="json")
    assert final.status_code == 200
    assert final.json()["number"].startswith("RGH-")

    # a final invoice does not change
    late = admin_api.post(f"{url}discount/", {"percent": "1", "reason": "x"}, format="json")
    assert late.status_code == 409
    assert late.json()["code"] == "INVOICE_NOT_DRAFT"
    assert clerk_api.get(url).json()["total"] == "1763.20"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "1e9"}, "quantity"),
        ({"item_code": "NOPE"}, "item_code"),
        ({"item_code": "'; DROP TABLE x;--"}, "item_code"),
        ({"patient": str(uuid.uuid4())}, "patient"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"service_date": "2026-02-30"}, "service_date"),
        ({"source": "\x00"}, "source"),
        ({"source": ""}, "source"),
        ({"encounter": str(uuid.uuid4())}, "encounter"),
        ({"price_list": "NOPE"}, "price_list"),
        ({"unit_price": 10.5}, "unit_price"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_hostile_charges_are_400_naming_the_field(tariff, patient, admin_api, changes, field):
    response = admin_api.post(CHARGES, a_charge(patient, **changes), format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body.get("field") == field or field in body.get("errors", {}), body
    assert Charge.objects.count() == 0


def test_a_patient_of_another_facility_is_not_charged(tariff, admin_api, other_facility):
    stranger = registered(other_facility)

    response = admin_api.post(CHARGES, a_charge(stranger), format="json")

    assert (response.status_code, response.json()["field"]) == (400, "patient")
    assert Charge.objects.count() == 0


def test_a_clerk_may_not_override_a_price_or_void(tariff, patient, clerk_api):
    override = clerk_api.post(CHARGES, a_charge(patient, unit_price="1"), format="json")
    charge = clerk_api.post(CHARGES, a_charge(patient), format="json").json()
    void = clerk_api.post(f"{CHARGES}{charge['id']}/void/", {"reason": "x"}, format="json")

    assert (override.status_code, void.status_code) == (403, 403)
    assert Charge.objects.get().status == Charge.Status.BILLABLE


def test_a_supervisor_voids_with_a_reason(tariff, patient, clerk_api, admin_api):
    charge = clerk_api.post(CHARGES, a_charge(patient), format="json").json()

    missing = admin_api.post(f"{CHARGES}{charge['id']}/void/", {}, format="json")
    voided = admin_api.post(f"{CHARGES}{charge['id']}/void/", {"reason": "typo"}, format="json")

    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    assert voided.json()["status"] == "entered-in-error"


def test_tariff_over_rest(admin_api, facility):
    item = admin_api.post(
        "/api/v1/billing/items/",
        {"code": "XR-CHEST", "name": "Chest X-ray", "kind": "imaging", "department": "OPD"},
        format="json",
    )
    price_list = admin_api.post(
        "/api/v1/billing/price-lists/",
        {"code": "CASH", "name": "Cash", "kind": "self_pay"},
        format="json",
    )
    url = f"/api/v1/billing/price-lists/{price_list.json()['id']}/prices/"
    first = admin_api.post(
        url, {"item": "XR-CHEST", "amount": "2000", "valid_from": "2026-01-01"}, format="json"
    )
    second = admin_api.post(
        url, {"item": "XR-CHEST", "amount": "2200", "valid_from": "2026-06-01"}, format="json"
    )
    overlap = admin_api.post(
        url, {"item": "XR-CHEST", "amount": "1", "valid_from": "2026-05-01"}, format="json"
    )

    assert (item.status_code, price_list.status_code) == (201, 201)
    assert price_list.json()["currency"] == "KES"
    assert (first.status_code, second.status_code, overlap.status_code) == (201, 201, 409)
    history = admin_api.get(url).json()
    assert [(p["amount"], p["valid_until"]) for p in history] == [
        ("2000.00", "2026-06-01"),
        ("2200.00", None),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "bad code", "name": "x", "kind": "lab"}, "code"),
        ({"code": "OK", "name": "x", "kind": "spa"}, "kind"),
        ({"code": "OK", "name": "x\x00", "kind": "lab"}, "name"),
        ({"code": "OK", "name": "x", "kind": "lab", "department": "NOPE"}, "department"),
        ({"code": "OK", "name": "x", "kind": "lab", "specialty": "NOPE"}, "specialty"),
    ],
)
def test_hostile_items_are_400(admin_api, body, field):
    response = admin_api.post("/api/v1/billing/items/", body, format="json")

    assert response.status_code == 400
    payload = response.json()
    assert payload.get("field") == field or field in payload.get("errors", {}), payload
    assert BillableItem.objects.count() == 0


def test_hostile_prices_are_400(tariff, admin_api):
    url = f"/api/v1/billing/price-lists/{tariff.self_pay.external_id}/prices/"
    before = Price.objects.count()

    answers = [
        admin_api.post(url, body, format="json")
        for body in (
            {"item": "FBC", "amount": 12.5, "valid_from": "2027-01-01"},
            {"item": "FBC", "amount": "-3", "valid_from": "2027-01-01"},
            {"item": "FBC", "amount": "3", "valid_from": "01/01/2027"},
            {"item": "FBC", "amount": "3", "tax_rate": "250", "valid_from": "2027-01-01"},
            {"item": "NOPE", "amount": "3", "valid_from": "2027-01-01"},
        )
    ]

    assert [a.status_code for a in answers] == [400] * 5
    assert Price.objects.count() == before


def test_an_invoice_of_another_facility_is_404(
    tariff, patient, admin_api, api_client_for, other_facility
):
    admin_api.post(CHARGES, a_charge(patient), format="json")
    draft = admin_api.post(INVOICES, {"patient": str(patient.external_id)}, format="json").json()
    foreign = api_client_for("admin", at=other_facility)

    response = foreign.get(f"{INVOICES}{draft['id']}/")

    assert response.status_code == 404
    assert Invoice.objects.count() == 1
