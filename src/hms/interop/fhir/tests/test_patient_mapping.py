"""Patient <-> FHIR R4 Patient: the golden resource, round trips, and what the mapper
refuses that fhir.resources lets through."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.patient import Patient as FhirPatient

from hms.core.models import Facility
from hms.interop.fhir.resources.patient import from_fhir, to_fhir, version_of
from hms.interop.fhir.tests.helpers import golden
from hms.interop.fhir.validation import InvalidResource, parse_resource
from hms.patients import lookups, merging
from hms.patients.inputs import ContactInput


@pytest.fixture
def wanjiru(register):
    return register(
        given_name="Wanjiru",
        middle_name="Njeri",
        family_name="Kamau",
        preferred_name="Shiru",
        sex="female",
        birth_date=dt.date(1978, 3, 9),
        marital_status="M",
        language="sw-KE",
        phone="0712345678",
        email="wanjiru@example.org",
        address={
            "line": "Moi Avenue 12",
            "city": "Nairobi",
            "district": "Starehe",
            "postal_code": "00100",
            "country": "KE",
        },
        identifiers=[
            {"system": "national_id", "value": "22334455"},
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-61-3984", "assigner": "SSA"},
        ],
        contacts=(ContactInput(name="Baraka Kamau", relationship="brother", phone="0722000111"),),
        is_deceased=True,
        deceased_at=dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC),
    )


def _fill(expected: dict, patient) -> dict:
    expected["id"] = str(patient.external_id)
    expected["meta"] = {
        "versionId": version_of(patient),
        "lastUpdated": patient.updated_at.isoformat().replace("+00:00", "Z"),
    }
    expected["identifier"][0]["value"] = patient.mrn
    return expected


@pytest.mark.django_db
def test_to_fhir_matches_the_golden_patient(wanjiru):
    # when
    body = to_fhir(wanjiru).model_dump(mode="json", exclude_none=True)

    # then
    assert body == _fill(golden("patient_full.json"), wanjiru)


def test_golden_patient_is_a_valid_r4_patient():
    # given
    expected = golden("patient_full.json")
    expected.update(id="abc", meta={"versionId": "1", "lastUpdated": "2025-01-01T00:00:00Z"})

    # when
    parsed = FhirPatient.model_validate(expected)

    # then
    assert parsed.model_dump(mode="json", exclude_none=True) == expected


@pytest.mark.django_db
def test_from_fhir_of_to_fhir_gives_back_the_record(wanjiru, facility):
    # given
    record = lookups.patient_as_input(wanjiru)

    # when
    mapped = from_fhir(to_fhir(wanjiru), facility=facility)

    # then
    assert mapped.data == record
    assert mapped.warnings == []


@pytest.mark.django_db
def test_an_estimated_birth_date_goes_out_as_the_year(register, facility):
    # given
    patient = register(birth_date=dt.date(1984, 7, 1), birth_date_estimated=True)

    # when
    resource = to_fhir(patient)

    # then
    assert resource.birthDate == "1984"
    back = from_fhir(resource, facility=facility).data
    assert (back.birth_date, back.birth_date_estimated) == (dt.date(1984, 7, 1), True)


@pytest.mark.parametrize(
    ("birth_date", "stored", "estimated"),
    [
        ("1984", dt.date(1984, 7, 1), True),
        ("1984-03", dt.date(1984, 3, 15), True),
        ("1984-03-09", dt.date(1984, 3, 9), False),
    ],
)
def test_partial_birth_dates_become_estimates(facility_stub, birth_date, stored, estimated):
    # given
    resource = parse_resource(
        {
            "resourceType": "Patient",
            "name": [{"given": ["A"], "family": "B"}],
            "birthDate": birth_date,
        },
        FhirPatient,
    )

    # when
    data = from_fhir(resource, facility=facility_stub).data

    # then
    assert (data.birth_date, data.birth_date_estimated) == (stored, estimated)


@pytest.fixture
def facility_stub():
    # from_fhir reads the facility's country (phone numbers) and code; no row needed.
    return Facility(name="Riverside General", code="RGH", country="KE")


@pytest.mark.django_db
def test_a_merged_record_links_to_its_survivor_and_back(register, make_user):
    # given
    survivor, merged = register(), register()
    merging.merge_patients(
        actor=make_user("admin"), survivor=survivor, merged=merged, reason="same person"
    )
    survivor = lookups.patient_record(
        viewer=make_user("admin"), facility=survivor.facility, external_id=survivor.external_id
    )
    merged = lookups.patient_record(
        viewer=make_user("admin"), facility=merged.facility, external_id=merged.external_id
    )

    # when
    gone, kept = to_fhir(merged), to_fhir(survivor)

    # then
    assert gone.active is False
    assert [(link.type, link.other.reference) for link in gone.link] == [
        ("replaced-by", f"Patient/{survivor.external_id}")
    ]
    assert kept.active is True
    assert [(link.type, link.other.reference) for link in kept.link] == [
        ("replaces", f"Patient/{merged.external_id}")
    ]


def _patient(**elements) -> FhirPatient:
    return FhirPatient.model_validate(
        {"resourceType": "Patient", "name": [{"given": ["Amina"], "family": "W"}], **elements}
    )


@pytest.mark.parametrize(
    ("elements", "path"),
    [
        # fhir.resources accepts an unbound gender; the mapper does not
        ({"gender": "nope"}, "Patient.gender"),
        ({"maritalStatus": {"coding": [{"code": "married"}]}}, "Patient.maritalStatus"),
        ({"identifier": [{"value": "123"}]}, "Patient.identifier[0]"),
        (
            {"identifier": [{"system": "urn:hms:identifier:bogus", "value": "1"}]},
            "Patient.identifier[0].system",
        ),
        (
            {
                "communication": [
                    {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "not a tag"}]}}
                ]
            },
            "Patient.communication.language",
        ),
    ],
)
def test_from_fhir_refuses_codes_it_cannot_map(facility_stub, elements, path):
    # when
    with pytest.raises(InvalidResource) as refused:
        from_fhir(_patient(**elements), facility=facility_stub)

    # then
    assert [p for p, _ in refused.value.issues] == [path]


def test_our_own_mrn_identifier_is_never_taken_from_the_client(facility_stub):
    # when
    data = from_fhir(
        _patient(identifier=[{"system": "urn:hms:mrn:RGH", "value": "000000018"}]),
        facility=facility_stub,
    ).data

    # then
    assert data.identifiers == ()


def test_lenient_read_drops_a_phone_it_cannot_store_with_a_warning(facility_stub):
    # given: Synthea's fictional number, without a country code
    resource = _patient(
        telecom=[
            {"system": "phone", "value": "555-961-9901", "use": "home"},
            {"system": "phone", "value": "0712345678", "use": "work"},
        ]
    )

    # when
    strict = from_fhir(resource, facility=facility_stub)
    lenient = from_fhir(resource, facility=facility_stub, lenient=True)

    # then
    assert (strict.data.phone, strict.path_of("phone")) == ("555-961-9901", "Patient.telecom[0]")
    assert lenient.data.phone == "0712345678"
    assert [p for p, _ in lenient.warnings] == ["Patient.telecom[0]"]


def test_the_phone_kept_is_mobile_before_home_before_work(facility_stub):
    # when
    data = from_fhir(
        _patient(
            telecom=[
                {"system": "phone", "value": "0700000001", "use": "work"},
                {"system": "phone", "value": "0700000002", "use": "old"},
                {"system": "phone", "value": "0700000003", "use": "mobile"},
                {"system": "email", "value": "a@example.org"},
            ]
        ),
        facility=facility_stub,
    ).data

    # then
    assert (data.phone, data.email) == ("0700000003", "a@example.org")


def test_a_date_of_death_without_a_time_is_midnight_utc(facility_stub):
    # when
    data = from_fhir(_patient(deceasedDateTime="2024-05-01"), facility=facility_stub).data

    # then
    assert data.is_deceased is True
    assert data.deceased_at == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
