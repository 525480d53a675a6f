"""Insurance over REST: payers, plans, coverages (member ID masked), eligibility and
pre-authorisations; hostile input answered 400 naming the field with nothing saved."""

import uuid

import pytest

from hms.billing.models import Coverage, Payer, Plan, PreAuthorisation

PAYERS = "/api/v1/billing/payers/"
PLANS = "/api/v1/billing/plans/"
COVERAGES = "/api/v1/billing/coverages/"
PREAUTHS = "/api/v1/billing/preauthorisations/"


@pytest.fixture
def clerk_api(api_client_for):
    return api_client_for("billing_clerk")


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for("admin")


@pytest.fixture
def plan(tariff, admin_api):
    admin_api.post(PAYERS, {"code": "AAR", "name": "AAR", "kind": "insurer"}, format="json")
    response = admin_api.post(
        PLANS,
        {
            "payer": "AAR",
            "code": "GOLD",
            "name": "Gold",
            "copay": "200",
            "coinsurance_percent": "10",
            "price_list": "NHIF",
            "preauth_items": ["FBC"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def a_coverage(who, **changes):
    return {
        "patient": str(who.external_id),
        "payer": "AAR",
        "plan": "GOLD",
        "member_id": "AAR-0012-3456",
        "valid_from": "2026-01-01",
        **changes,
    }


def test_the_insurance_loop(plan, patient, clerk_api):
    assert plan["preauth_items"] == ["FBC"]
    assert plan["price_list"] == "NHIF"

    created = clerk_api.post(COVERAGES, a_coverage(patient), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["member_id"] == "*********3456"
    found = clerk_api.get(COVERAGES, {"member_id": "aar 0012 3456"}).json()
    assert [c["id"] for c in found] == [created.json()["id"]]
    assert clerk_api.get(COVERAGES, {"member_id": "AAR-0012"}).json() == []

    url = f"{COVERAGES}{created.json()['id']}/"
    checked = clerk_api.post(f"{url}eligibility/", {"outcome": "eligible"}, format="json")
    assert checked.status_code == 201
    assert [c["outcome"] for c in clerk_api.get(f"{url}eligibility/").json()] == ["eligible"]

    asked = clerk_api.post(
        PREAUTHS,
        {"coverage": created.json()["id"], "item": "FBC", "requested_amount": "5000"},
        format="json",
    )
    assert asked.status_code == 201, asked.json()
    decided = clerk_api.post(
        f"{PREAUTHS}{asked.json()['id']}/decide/",
        {"approved": True, "approved_amount": "4500", "expires_on": "2099-01-01"},
        format="json",
    )
    assert (decided.status_code, decided.json()["status"]) == (200, "approved")
    listed = clerk_api.get(PREAUTHS, {"coverage": created.json()["id"]}).json()
    assert [p["approved_amount"] for p in listed] == ["4500.00"]

    cancelled = clerk_api.post(f"{url}cancel/", {"reason": "left the plan"}, format="json")
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"patient": str(uuid.uuid4())}, "patient"),
        ({"plan": "NOPE"}, "plan"),
        ({"member_id": ""}, "member_id"),
        ({"member_id": "--"}, "member_id"),
        ({"member_id": "x" * 65}, "member_id"),
        ({"valid_from": "2026-02-30"}, "valid_from"),
        ({"valid_until": "2025-12-31"}, "valid_until"),
        ({"priority": "1"}, "priority"),
        ({"priority": 0}, "priority"),
        ({"relationship": "cousin"}, "relationship"),
        ({"surprise": 1}, "surprise"),
        ({"relationship": "child"}, "subscriber"),
        ({"relationship": "child", "subscriber": {"family_name": "Otieno"}}, "subscriber"),
        (
            {"relationship": "child", "subscriber": {"family_name": " ", "given_name": "J"}},
            "subscriber",
        ),
        (
            {
                "relationship": "spouse",
                "subscriber": {"family_name": "O", "given_name": "J", "birth_date": "2999-01-01"},
            },
            "subscriber.birth_date",
        ),
    ],
)
def test_hostile_coverages_are_400(plan, patient, clerk_api, changes, field):
    response = clerk_api.post(COVERAGES, a_coverage(patient, **changes), format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body.get("field") == field or field in body.get("errors", {}), body
    assert Coverage.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"payer": "NOPE"}, "payer"),
        ({"copay": 1.5}, "copay"),
        ({"copay": "-1"}, "copay"),
        ({"coinsurance_percent": "101"}, "coinsurance_percent"),
        ({"deductible": "0.001"}, "deductible"),
        ({"price_list": "NOPE"}, "price_list"),
        ({"preauth_items": ["NOPE"]}, "preauth_items"),
        ({"code": "bad code"}, "code"),
    ],
)
def test_hostile_plans_are_400(tariff, admin_api, changes, field):
    admin_api.post(PAYERS, {"code": "AAR", "name": "AAR", "kind": "insurer"}, format="json")
    body = {"payer": "AAR", "code": "GOLD", "name": "Gold", **changes}

    response = admin_api.post(PLANS, body, format="json")

    assert response.status_code == 400, response.json()
    payload = response.json()
    assert payload.get("field") == field or field in payload.get("errors", {}), payload
    assert Plan.objects.count() == 0


def test_hostile_payers_and_preauthorisations_are_400(plan, patient, clerk_api, admin_api):
    bad_payer = admin_api.post(PAYERS, {"code": "X", "name": "X", "kind": "spa"}, format="json")
    coverage = clerk_api.post(COVERAGES, a_coverage(patient), format="json").json()
    asks = [
        clerk_api.post(PREAUTHS, body, format="json")
        for body in (
            {"coverage": coverage["id"], "item": "NOPE", "requested_amount": "1"},
            {"coverage": coverage["id"], "item": "FBC", "requested_amount": "0"},
            {"coverage": coverage["id"], "item": "FBC", "requested_amount": 1.5},
            {"coverage": str(uuid.uuid4()), "item": "FBC", "requested_amount": "1"},
        )
    ]

    assert bad_payer.status_code == 400
    assert Payer.objects.count() == 1
    assert [a.status_code for a in asks] == [400] * 4
    assert PreAuthorisation.objects.count() == 0


def test_a_clerk_may_not_add_payers_and_other_facilities_see_nothing(
    plan, patient, clerk_api, api_client_for, other_facility
):
    denied = clerk_api.post(PAYERS, {"code": "B", "name": "B", "kind": "insurer"}, format="json")
    coverage = clerk_api.post(COVERAGES, a_coverage(patient), format="json").json()
    foreign = api_client_for("admin", at=other_facility)

    assert denied.status_code == 403
    assert foreign.get(f"{COVERAGES}{coverage['id']}/").status_code == 404
    assert foreign.get(COVERAGES, {"member_id": "AAR-0012-3456"}).json() == []


def test_a_dependant_is_covered_through_the_policyholder(plan, patient, clerk_api):
    body = a_coverage(
        patient,
        relationship="child",
        subscriber={"family_name": "Otieno", "given_name": "James", "birth_date": "1980-05-01"},
    )
    created = clerk_api.post(COVERAGES, body, format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["subscriber"] == {
        "family_name": "Otieno",
        "given_name": "James",
        "birth_date": "1980-05-01",
    }
    assert Coverage.objects.get().subscriber_given_name == "James"
