"""The staff directory over REST: search, add, read, edit, specialties; refusals as
400 naming the field, 403 for roles that may not, 404 across facilities."""

from __future__ import annotations

import uuid

import pytest

from hms.staff.models import Practitioner

pytestmark = pytest.mark.django_db

PRACTITIONERS = "/api/v1/practitioners/"


@pytest.fixture
def admin_api(api_client_for):
    return api_client_for("admin")


def test_add_then_read_then_find(admin_api, api_client_for, specialties):
    # when
    created = admin_api.post(
        PRACTITIONERS,
        {
            "title": "Dr",
            "given_name": "Amina",
            "family_name": "Hassan",
            "kind": "doctor",
            "languages": ["en", "sw-ke"],
            "phone": "0712345678",
            "consultation_fee": "1500.50",
            "department": "OPD",
            "specialties": ["PAED"],
        },
        format="json",
    )

    # then
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["Location"] == f"{PRACTITIONERS}{body['id']}/"
    assert body["display_name"] == "Dr Amina Hassan"
    assert body["languages"] == ["en", "sw-KE"]
    assert body["phone"] == "+254712345678"
    assert (body["consultation_fee"], body["currency"]) == ("1500.50", "KES")
    assert body["department"] == {"code": "OPD", "name": "Outpatients"}
    assert body["specialties"] == [{"code": "PAED", "name": "Paediatrics"}]
    desk = api_client_for("receptionist")
    assert desk.get(created["Location"]).json() == body
    found = desk.get(PRACTITIONERS, {"q": "ami", "specialty": "PAED", "language": "sw"})
    assert found.status_code == 200
    assert [p["id"] for p in found.json()] == [body["id"]]


def test_patch_changes_only_the_fields_sent(admin_api, directory):
    # given
    amina = directory["amina"]
    url = f"{PRACTITIONERS}{amina.external_id}/"

    # when
    response = admin_api.patch(url, {"title": "Prof", "specialties": []}, format="json")

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["display_name"], body["specialties"]) == ("Prof Amina Hassan", [])
    assert (body["languages"], body["consultation_fee"]) == (["en", "sw-KE"], "1500.00")
    assert admin_api.get(url).json() == body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_name": "x" * 500}, "given_name"),
        ({"given_name": ""}, "given_name"),
        ({"phone": "12"}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"consultation_fee": "-1"}, "consultation_fee"),
        ({"department": "CARDIO"}, "department"),
        ({"specialties": ["NOPE"]}, "specialties"),
        ({"languages": ["english"]}, "languages"),
    ],
)
def test_bad_input_is_400_naming_the_field(admin_api, foreign_department, body, field):
    response = admin_api.post(
        PRACTITIONERS, {"given_name": "Amina", "family_name": "Hassan", **body}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not Practitioner.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_name": 7}, "given_name"),
        ({"family_name": None}, "family_name"),
        ({"kind": "surgeon"}, "kind"),
        ({"languages": "en"}, "languages"),
        ({"languages": ["l1"] * 11}, "languages"),
        ({"consultation_fee": "lots"}, "consultation_fee"),
        ({"consultation_fee": "1e20"}, "consultation_fee"),
        ({"is_active": "yes"}, "is_active"),
        ({"salary": 100}, "salary"),
    ],
)
def test_malformed_body_is_400_listing_the_field(admin_api, body, field):
    response = admin_api.post(
        PRACTITIONERS, {"given_name": "Amina", "family_name": "Hassan", **body}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Practitioner.objects.exists()


def test_a_registration_number_taken_is_409(admin_api, directory):
    response = admin_api.post(
        PRACTITIONERS,
        {"given_name": "Baraka", "family_name": "Otieno", "registration_number": "KMPDC-1001"},
        format="json",
    )

    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == (
        "REGISTRATION_NUMBER_TAKEN",
        "registration_number",
    )


@pytest.mark.parametrize("role", ["doctor", "receptionist"])
def test_roles_that_see_the_directory_may_not_change_it(api_client_for, directory, role):
    client = api_client_for(role)
    url = f"{PRACTITIONERS}{directory['amina'].external_id}/"

    created = client.post(PRACTITIONERS, {"given_name": "A", "family_name": "B"}, format="json")
    patched = client.patch(url, {"title": "Prof"}, format="json")

    assert (created.status_code, patched.status_code) == (403, 403)
    assert Practitioner.objects.get(pk=directory["amina"].pk).title == "Dr"


def test_a_pharmacist_does_not_see_the_directory(api_client_for, directory):
    client = api_client_for("pharmacist")

    assert client.get(PRACTITIONERS).status_code == 403
    assert client.get("/api/v1/specialties/").status_code == 403


@pytest.mark.parametrize("whose", ["nobody", "other facility"])
def test_unknown_or_foreign_practitioner_is_404(api_client_for, other_facility, directory, whose):
    # given
    target = uuid.uuid4() if whose == "nobody" else directory["amina"].external_id
    client = api_client_for("admin", at=other_facility if whose == "other facility" else None)

    # when
    read = client.get(f"{PRACTITIONERS}{target}/")
    changed = client.patch(f"{PRACTITIONERS}{target}/", {"title": "X"}, format="json")

    # then
    assert (read.status_code, changed.status_code) == (404, 404)
    assert read.json()["code"] == "NOT_FOUND"
    assert Practitioner.objects.get(pk=directory["amina"].pk).title == "Dr"


def test_search_filters_are_checked(api_client_for, directory):
    client = api_client_for("nurse")

    assert client.get(PRACTITIONERS, {"active": "maybe"}).status_code == 400
    assert client.get(PRACTITIONERS, {"limit": 0}).status_code == 400
    bad_language = client.get(PRACTITIONERS, {"language": "english"})
    assert (bad_language.status_code, bad_language.json()["field"]) == (400, "language")
    listed = client.get(PRACTITIONERS, {"active": "all"}).json()
    assert [p["given_name"] for p in listed] == ["Amina", "Wanjiru", "José"]


def test_specialties_are_listed_by_name(api_client_for, specialties):
    response = api_client_for("doctor").get("/api/v1/specialties/")

    assert response.status_code == 200
    assert response.json() == [
        {"code": "CARD", "name": "Cardiology"},
        {"code": "PAED", "name": "Paediatrics"},
    ]
