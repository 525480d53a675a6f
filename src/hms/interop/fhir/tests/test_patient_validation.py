"""Bad FHIR Patients are 400 OperationOutcomes naming the element, and nothing is saved.

Uses the invalid (and valid) fixtures of Microsoft's FHIR server tests where present.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import pytest
from django.utils import timezone

from hms.interop.fhir.tests.helpers import FHIR_JSON, operation_outcome
from hms.patients.models import Patient

TYPE = "/fhir/R4/Patient"
MICROSOFT = Path("/work/shared/testdata/fhir-r4-microsoft-fhir-server/Normative")
needs_microsoft = pytest.mark.skipif(
    not MICROSOFT.is_dir(), reason=f"Microsoft FHIR server test files not found at {MICROSOFT}"
)


def _fixture(name: str) -> str:
    return (MICROSOFT / name).read_text(encoding="utf-8-sig")  # some start with a BOM


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


def _post(client, text: str, **headers):
    return client.post(TYPE, text, content_type=FHIR_JSON, **headers)


def _refused(response) -> list[str]:
    """The expressions of a 400 OperationOutcome."""
    assert response.status_code == 400, response.content
    outcome = operation_outcome(response)
    assert all(issue.severity == "error" for issue in outcome.issue)
    assert all(issue.diagnostics for issue in outcome.issue)
    return [e for issue in outcome.issue for e in issue.expression or []]


@needs_microsoft
@pytest.mark.django_db
def test_microsoft_patient_with_unknown_elements_is_400(clerk):
    # when
    response = _post(clerk, _fixture("PatientWithUnknownElements.json"))

    # then
    assert _refused(response) == ["Patient.name1"]
    assert Patient.objects.count() == 0


@needs_microsoft
@pytest.mark.django_db
def test_microsoft_patient_missing_resource_type_is_400(clerk):
    # when
    response = _post(clerk, _fixture("PatientMissingResourceType.json"))

    # then
    assert _refused(response) == ["Patient.resourceType"]
    assert Patient.objects.count() == 0


@needs_microsoft
@pytest.mark.parametrize("line", range(3))
@pytest.mark.django_db
def test_microsoft_invalid_import_patients_are_400(clerk, line):
    # given: their ids ("##PatientID##") break the FHIR id rule
    text = _fixture("Import-InvalidPatient.ndjson").splitlines()[line]

    # when
    response = _post(clerk, text)

    # then
    assert "Patient.id" in _refused(response)
    assert Patient.objects.count() == 0


@needs_microsoft
@pytest.mark.django_db
def test_microsoft_patient_with_a_zoneless_last_updated_is_400(clerk):
    # given: meta.lastUpdated is an instant, which must carry a time zone
    text = _fixture("Patient.json")

    # when
    response = _post(clerk, text)

    # then
    assert _refused(response) == ["Patient.meta.lastUpdated"]


@needs_microsoft
@pytest.mark.parametrize("name", ["Patient-f001.json", "PatientWithMinimalData.json"])
@pytest.mark.django_db
def test_microsoft_valid_patients_go_in(clerk, name):
    # when: their Australian and US numbers lack a country code, hence lenient
    response = _post(clerk, _fixture(name), HTTP_PREFER="handling=lenient")

    # then
    assert response.status_code == 201, response.content
    assert Patient.objects.count() == 1


def _amina(**changes) -> dict:
    resource = {
        "resourceType": "Patient",
        "name": [{"family": "Wanjiru", "given": ["Amina"]}],
        "gender": "female",
        "birthDate": "1990-04-12",
    }
    resource.update(changes)
    return resource


# Today at the test facility (conftest's, in Nairobi), as the server reckons it.
TODAY = timezone.localdate(timezone=zoneinfo.ZoneInfo("Africa/Nairobi"))
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()
BAD = [
    # unknown elements and wrong JSON types (fhir.resources coerces some; we do not)
    ({"nickname": "Ami"}, "Patient.nickname"),
    ({"active": "yes"}, "Patient.active"),
    ({"active": 1}, "Patient.active"),
    ({"multipleBirthInteger": "2"}, "Patient.multipleBirthInteger"),
    ({"birthDate": 19900412}, "Patient.birthDate"),
    ({"name": [{"family": 5, "given": ["A"]}]}, "Patient.name[0].family"),
    ({"name": [{"family": "W", "given": "Amina"}]}, "Patient.name[0].given"),
    ({"name": {"family": "W"}}, "Patient.name"),
    ({"telecom": [{"system": "phone", "value": 712345678}]}, "Patient.telecom[0].value"),
    # codes outside their required value sets
    ({"gender": "nope"}, "Patient.gender"),
    ({"gender": "F"}, "Patient.gender"),
    ({"name": [{"use": "legal", "given": ["A"], "family": "W"}]}, "Patient.name[0].use"),
    ({"telecom": [{"system": "pigeon", "value": "x"}]}, "Patient.telecom[0].system"),
    ({"maritalStatus": {"coding": [{"code": "married"}]}}, "Patient.maritalStatus"),
    # dates: impossible, out of range, in the future
    ({"birthDate": "2023-02-30"}, "Patient.birthDate"),
    ({"birthDate": "1879-12-31"}, "Patient.birthDate"),
    ({"birthDate": TOMORROW}, "Patient.birthDate"),
    ({"birthDate": "12/04/1990"}, "Patient.birthDate"),
    # the registry's own rules, named by the element the value came from
    ({"name": [{"family": "W", "given": ["A" * 500]}]}, "Patient.name[0].given[0]"),
    ({"name": [{"family": "W" * 101, "given": ["A"]}]}, "Patient.name[0].family"),
    ({"name": [{"family": "W", "given": ["Ami\u202ena"]}]}, "Patient.name[0].given[0]"),
    ({"name": []}, "Patient.name"),
    ({"telecom": [{"system": "phone", "value": "12345"}]}, "Patient.telecom[0]"),
    ({"telecom": [{"system": "email", "value": "not-an-email"}]}, "Patient.telecom[0]"),
    ({"identifier": [{"value": "123"}]}, "Patient.identifier[0]"),
    (
        {"address": [{"city": "N" * 201}]},
        "Patient.address[0]",
    ),
]


@pytest.mark.parametrize(("changes", "path"), BAD, ids=[p for _, p in BAD])
@pytest.mark.django_db
def test_bad_patient_is_400_naming_the_element(clerk, changes, path):
    # when
    response = _post(clerk, json.dumps(_amina(**changes)))

    # then
    assert path in _refused(response)
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", '"Patient"', json.dumps({"resourceType": "Observation"}), "[" * 5000],
)
@pytest.mark.django_db
def test_a_body_that_is_not_a_patient_is_400(clerk, text):
    # when
    response = _post(clerk, text)

    # then
    assert response.status_code == 400
    assert operation_outcome(response).issue[0].code == "invalid"
    assert Patient.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "محمد",  # right to left
        "Jose\u0301",  # combining accent, stored composed
        "A",
        "Robert'); DROP TABLE patients_patient;--",
        "<script>alert(1)</script>",
    ],
)
@pytest.mark.django_db
def test_unusual_names_go_in_as_typed(clerk, name):
    # when
    response = _post(clerk, json.dumps(_amina(name=[{"family": "W", "given": [name]}])))

    # then
    assert response.status_code == 201, response.content
    assert Patient.objects.get().given_name in (name, "José")
