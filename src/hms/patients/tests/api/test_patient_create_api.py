"""POST /api/v1/patients/: registration, possible duplicates, and hostile input on every
field (each refusal names the field and saves nothing)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.patients.errors import PatientErrorCode
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.tests.api.conftest import LIST, body
from hms.patients.tests.api.helpers import reads_of, refused_field, registry_counts

# Today at the test facility (conftest's, in Nairobi), as the server reckons it.
TODAY = timezone.localdate(timezone=zoneinfo.ZoneInfo("Africa/Nairobi"))
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()


@pytest.mark.django_db
def test_register_returns_the_record_with_its_mrn_and_location(clerk, facility):
    # when
    response = clerk.post(LIST, body(), format="json")

    # then
    assert response.status_code == 201, response.content
    record = response.json()
    patient = Patient.objects.get(external_id=record["id"])
    assert response["Location"] == f"{LIST}{patient.external_id}/"
    assert record["mrn"] == patient.mrn
    assert (record["given_name"], record["family_name"], record["sex"]) == (
        "Amina",
        "Wanjiru",
        "female",
    )
    assert record["phone"] == "+254712345678"
    assert record["phone_masked"] == "+254••••••678"
    assert record["identifiers"] == [{"system": "national_id", "value": "12345678", "assigner": ""}]
    assert patient.facility == facility
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, patient_id=record["id"]).count()
        == 1
    )


@pytest.mark.django_db
def test_register_takes_an_estimated_age(clerk):
    # when
    response = clerk.post(LIST, body(birth_date=None, age_years=40), format="json")

    # then
    assert response.status_code == 201, response.content
    record = response.json()
    assert record["birth_date_estimated"] is True
    assert record["birth_date"] == f"{timezone.localdate().year - 40}-07-01"
    assert record["age"].startswith("~")


@pytest.mark.django_db
def test_register_with_address_and_contacts(clerk):
    # given
    address = {"line": "Moi Avenue 12", "city": "Nairobi", "country": "KE"}
    contacts = [{"name": "Baraka Wanjiru", "relationship": "brother", "phone": "0722000111"}]

    # when
    response = clerk.post(LIST, body(address=address, contacts=contacts), format="json")

    # then
    assert response.status_code == 201, response.content
    record = response.json()
    assert record["address"] == address
    assert record["contacts"] == [
        {
            "name": "Baraka Wanjiru",
            "relationship": "brother",
            "phone": "+254722000111",
            "is_emergency": True,
        }
    ]


@pytest.mark.django_db
def test_possible_duplicate_is_409_with_ranked_matches_and_nothing_saved(clerk, register):
    # given
    existing = register(
        given_name="Amina", family_name="Wanjiru", sex="female", birth_date=dt.date(1990, 4, 12)
    )
    before = registry_counts()

    # when
    response = clerk.post(LIST, body(phone="", identifiers=[]), format="json")

    # then
    assert response.status_code == 409
    answer = response.json()
    assert answer["code"] == PatientErrorCode.POSSIBLE_DUPLICATE
    assert answer["field"] == "duplicate_override_reason"
    assert [m["patient"]["id"] for m in answer["matches"]] == [str(existing.external_id)]
    assert answer["matches"][0]["score"] > 0.75
    assert answer["matches"][0]["patient"]["mrn"] == existing.mrn
    assert registry_counts() == before
    assert reads_of(existing) == 1  # the match was shown to the clerk


@pytest.mark.django_db
def test_override_reason_registers_anyway(clerk, register):
    # given
    register(
        given_name="Amina", family_name="Wanjiru", sex="female", birth_date=dt.date(1990, 4, 12)
    )

    # when
    response = clerk.post(
        LIST,
        body(phone="", identifiers=[], duplicate_override_reason="Twin sister, own ID card"),
        format="json",
    )

    # then
    assert response.status_code == 201, response.content
    assert Patient.objects.count() == 2


@pytest.mark.parametrize("role", ["doctor", "pharmacist", "auditor"])
@pytest.mark.django_db
def test_roles_without_register_permission_get_403(api_client_for, role):
    # when
    response = api_client_for(role).post(LIST, body(), format="json")

    # then
    assert response.status_code == 403
    assert Patient.objects.count() == 0


# --- hostile input: refused, naming the field, nothing saved --------------------------

REFUSED = [
    # names: empty, too long (101 and 500 characters), wrong JSON types, control and
    # bidi-override characters
    ("given_name", "", "given_name"),
    ("given_name", "A" * 101, "given_name"),
    ("given_name", "A" * 500, "given_name"),
    ("family_name", "B" * 500, "family_name"),
    ("middle_name", "C" * 500, "middle_name"),
    ("preferred_name", "D" * 500, "preferred_name"),
    ("given_name", 123, "given_name"),
    ("given_name", None, "given_name"),
    ("given_name", ["Amina"], "given_name"),
    ("given_name", {"first": "Amina"}, "given_name"),
    ("given_name", "Ami\x00na", "given_name"),
    ("given_name", "Ami\x1bna", "given_name"),
    ("family_name", "Wan\u202ejiru", "family_name"),
    ("family_name", "", "family_name"),
    ("family_name", 7, "family_name"),
    # sex
    ("sex", "nope", "sex"),
    ("sex", "", "sex"),
    ("sex", 1, "sex"),
    ("sex", None, "sex"),
    # birth dates: impossible, malformed, out of range, wrong type
    ("birth_date", "2023-02-30", "birth_date"),
    ("birth_date", "2023-13-01", "birth_date"),
    ("birth_date", "12/04/1990", "birth_date"),
    ("birth_date", "1990-4-12", "birth_date"),
    ("birth_date", "1990-04-12T10:00:00", "birth_date"),
    ("birth_date", "1879-12-31", "birth_date"),
    ("birth_date", TOMORROW, "birth_date"),
    ("birth_date", 19900412, "birth_date"),
    ("birth_date", "", "birth_date"),
    ("birth_date_estimated", "yes", "birth_date_estimated"),
    # estimated age
    ("age_years", "30", "age_years"),
    ("age_years", 30.5, "age_years"),
    ("age_years", True, "age_years"),
    # phones and emails
    ("phone", "12345", "phone"),
    ("phone", "not a phone", "phone"),
    ("phone", "+999 123 456 789", "phone"),
    ("phone", 712345678, "phone"),
    ("email", "no-at-sign", "email"),
    ("email", "two@@example.org", "email"),
    ("email", "a@b", "email"),
    ("email", "amina@exa\nmple.org", "email"),
    # coded and typed fields
    ("marital_status", "X", "marital_status"),
    ("language", "english please", "language"),
    ("language", "e", "language"),
    ("consent_sms", "yes", "consent_sms"),
    ("consent_email", 1, "consent_email"),
    ("consent_research", None, "consent_research"),
    ("is_unknown", "false", "is_unknown"),
    ("is_deceased", "true", "is_deceased"),
    ("deceased_at", "yesterday", "deceased_at"),
    ("deceased_at", "2999-01-01T00:00:00Z", "deceased_at"),
    # nested shapes
    ("address", "Moi Avenue, Nairobi", "address"),
    ("address", {"city": 5}, "address.city"),
    ("address", {"planet": "Mars"}, "address.planet"),
    ("address", {"city": "N" * 201}, "address.city"),
    ("identifiers", "12345678", "identifiers"),
    ("identifiers", [{"system": "national_id"}], "identifiers.value"),
    ("identifiers", [{"system": "bogus", "value": "1"}], "identifiers.system"),
    ("identifiers", [{"system": "national_id", "value": "9" * 101}], "identifiers.value"),
    ("identifiers", [{"system": "national_id", "value": "1", "kind": "x"}], "identifiers.kind"),
    ("contacts", [{"name": ""}], "contacts.name"),
    ("contacts", [{"name": "Mama", "phone": "123"}], "contacts.phone"),
    ("contacts", [{"name": "Mama", "is_emergency": "yes"}], "contacts.is_emergency"),
    ("duplicate_override_reason", 5, "duplicate_override_reason"),
    ("duplicate_override_reason", "R" * 301, "duplicate_override_reason"),
    # a field the API does not know is an error, not silently dropped
    ("favourite_colour", "blue", "favourite_colour"),
]


@pytest.mark.parametrize(
    ("name", "value", "field"), REFUSED, ids=[f"{n}={v!r}"[:60] for n, v, _ in REFUSED]
)
@pytest.mark.django_db
def test_hostile_value_is_refused_naming_the_field_and_nothing_is_saved(clerk, name, value, field):
    # given
    before = registry_counts()

    # when
    response = clerk.post(LIST, body(**{name: value}), format="json")

    # then
    assert response.status_code == 400, response.content
    assert refused_field(response) == field
    assert registry_counts() == before


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"[]", b'"a string"', b"null", b"[" * 5000, b'{"given_name": NaN}'],
    ids=["malformed", "list", "string", "null", "deeply-nested", "NaN"],
)
@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_400(clerk, payload):
    # when
    response = clerk.post(LIST, payload, content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] in ("PARSE_ERROR", "INVALID_INPUT")
    assert Patient.objects.count() == 0


ACCEPTED = [
    # right-to-left scripts (with the right-to-left mark that writing them needs)
    ({"given_name": "محمد", "family_name": "الأحمد"}, {"given_name": "محمد"}),
    ({"given_name": "\u200fיעל", "family_name": "כהן"}, {"family_name": "כהן"}),
    # combining characters are stored composed (NFC): one "é", however it was typed
    ({"given_name": "Jose\u0301", "family_name": "Nu\u0303n\u0303ez"}, {"given_name": "José"}),
    ({"given_name": "Zoë", "family_name": "Ðặng"}, {"family_name": "Ðặng"}),
    # one character, and exactly the maximum
    ({"given_name": "A", "family_name": "B"}, {"given_name": "A", "family_name": "B"}),
    ({"given_name": "N" * 100}, {"given_name": "N" * 100}),
    # injection strings are names like any other: stored and returned as typed
    (
        {"family_name": "O'Brien'); DROP TABLE patients_patient;--"},
        {"family_name": "O'Brien'); DROP TABLE patients_patient;--"},
    ),
    ({"given_name": "<script>alert(1)</script>"}, {"given_name": "<script>alert(1)</script>"}),
    ({"given_name": "{{7*7}}", "family_name": "${jndi:ldap://x/a}"}, {"given_name": "{{7*7}}"}),
    # international phone numbers, normalised to E.164
    ({"phone": "+44 20 7946 0958"}, {"phone": "+442079460958"}),
    ({"phone": "+91 98765 43210"}, {"phone": "+919876543210"}),
    ({"phone": "+1 (415) 555-2671"}, {"phone": "+14155552671"}),
    ({"phone": "+256 772 123456"}, {"phone": "+256772123456"}),
    ({"phone": "0712 345 678"}, {"phone": "+254712345678"}),
    ({"email": "Amina.W+clinic@Example.ORG"}, {"email": "amina.w+clinic@example.org"}),
    # the edges of the birth-date range
    ({"birth_date": "1880-01-01"}, {"birth_date": "1880-01-01"}),
    ({"birth_date": TODAY.isoformat()}, {"age": "0 d"}),
    ({"birth_date": "2024-02-29"}, {"birth_date": "2024-02-29"}),
    ({"language": "sw-KE"}, {"language": "sw-KE"}),
]


@pytest.mark.parametrize(("changes", "expected"), ACCEPTED, ids=[repr(c)[:50] for c, _ in ACCEPTED])
@pytest.mark.django_db
def test_unusual_but_valid_input_is_registered_as_typed(clerk, changes, expected):
    # when
    response = clerk.post(
        LIST, body(identifiers=[], **changes, duplicate_override_reason="test"), format="json"
    )

    # then
    assert response.status_code == 201, response.content
    record = response.json()
    assert {key: record[key] for key in expected} == expected
    stored = Patient.objects.get(external_id=record["id"])
    assert {key: record[key] for key in expected if hasattr(stored, key)} == {
        key: str(getattr(stored, key)) for key in expected if hasattr(stored, key)
    }


@pytest.mark.django_db
def test_injection_in_an_identifier_is_stored_encrypted_as_typed(clerk):
    # given
    value = "1' OR '1'='1"

    # when
    response = clerk.post(
        LIST, body(identifiers=[{"system": "passport", "value": value}]), format="json"
    )

    # then
    assert response.status_code == 201, response.content
    assert PatientIdentifier.objects.get().value == value
    assert json.loads(response.content)["identifiers"][0]["value"] == value
