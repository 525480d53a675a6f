"""FHIR Patient create, read, vread and update: every answer a valid R4 resource or
OperationOutcome."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient

from hms.audit.models import AuditEvent
from hms.interop.fhir.resources.patient import version_of
from hms.interop.fhir.tests.helpers import FHIR_JSON, operation_outcome
from hms.patients.models import Patient

TYPE = "/fhir/R4/Patient"


def _resource(response, status: int = 200) -> FhirPatient:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR_JSON
    return FhirPatient.model_validate(json.loads(response.content))


def _amina(**changes) -> dict:
    resource = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Wanjiru", "given": ["Amina", "Njoki"]}],
        "gender": "female",
        "birthDate": "1990-04-12",
        "telecom": [{"system": "phone", "value": "+254712345678", "use": "mobile"}],
        "identifier": [{"system": "urn:hms:identifier:national_id", "value": "12345678"}],
    }
    resource.update(changes)
    return resource


def _post(client, resource, **headers):
    return client.post(TYPE, json.dumps(resource), content_type=FHIR_JSON, **headers)


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


@pytest.mark.django_db
def test_create_answers_201_with_location_etag_and_the_stored_resource(clerk, facility):
    # when
    response = _post(clerk, _amina(id="ignored-on-create"))

    # then
    created = _resource(response, 201)
    patient = Patient.objects.get()
    assert created.id == str(patient.external_id)
    assert response["Location"] == (
        f"http://testserver/fhir/R4/Patient/{patient.external_id}/_history/{version_of(patient)}"
    )
    assert response["ETag"] == f'W/"{version_of(patient)}"'
    assert (patient.given_name, patient.middle_name, patient.family_name) == (
        "Amina",
        "Njoki",
        "Wanjiru",
    )
    assert patient.phone == "+254712345678"
    assert created.identifier[0].system == f"urn:hms:mrn:{facility.code}"
    assert created.identifier[0].value == patient.mrn


@pytest.mark.django_db
def test_create_a_possible_duplicate_is_409_then_goes_in_with_a_reason(clerk):
    # given
    _post(clerk, _amina())

    # when
    refused = _post(clerk, _amina(telecom=[], identifier=[]))
    accepted = _post(
        clerk,
        _amina(telecom=[], identifier=[]),
        HTTP_HMS_DUPLICATE_OVERRIDE_REASON="Different mother, checked ID",
    )

    # then
    assert refused.status_code == 409
    outcome = operation_outcome(refused)
    assert outcome.issue[0].code == "conflict"
    assert "HMS-Duplicate-Override-Reason" in outcome.issue[0].diagnostics
    assert "Possible duplicate Patient/" in outcome.issue[1].diagnostics
    assert accepted.status_code == 201
    assert Patient.objects.count() == 2


@pytest.mark.parametrize(
    ("prefer", "body_type"),
    [("return=minimal", None), ("return=OperationOutcome", OperationOutcome)],
)
@pytest.mark.django_db
def test_create_honours_prefer_return(clerk, prefer, body_type):
    # when
    response = _post(clerk, _amina(), HTTP_PREFER=prefer)

    # then
    assert response.status_code == 201
    assert response["Location"]
    if body_type is None:
        assert response.content in (b"", b"null")
    else:
        body_type.model_validate(json.loads(response.content))


@pytest.mark.django_db
def test_read_returns_the_patient_with_etag_and_writes_an_audit_row(clerk, register):
    # given
    patient = register()

    # when
    response = clerk.get(f"{TYPE}/{patient.external_id}")

    # then
    resource = _resource(response)
    assert resource.id == str(patient.external_id)
    assert resource.meta.versionId == version_of(patient)
    assert response["ETag"] == f'W/"{version_of(patient)}"'
    assert response["Last-Modified"]
    read = AuditEvent.objects.get(action=AuditEvent.Action.READ)
    assert (read.patient_id, read.reason) == (str(patient.external_id), "FHIR read")


@pytest.mark.parametrize("resource_id", ["not-a-uuid", "0b9e8d1c-5a63-4d38-9a3e-3f1e2c0d4b71"])
@pytest.mark.django_db
def test_read_of_an_unknown_id_is_404_operation_outcome(clerk, resource_id):
    # when
    response = clerk.get(f"{TYPE}/{resource_id}")

    # then
    assert response.status_code == 404
    assert operation_outcome(response).issue[0].code == "not-found"


@pytest.mark.django_db
def test_read_of_another_facilitys_patient_is_404(api_client_for, other_facility, register):
    # given
    patient = register()
    outsider = api_client_for("doctor", at=other_facility)

    # when
    response = outsider.get(f"{TYPE}/{patient.external_id}")

    # then
    assert response.status_code == 404
    assert (
        AuditEvent.objects.filter(patient_id=str(patient.external_id), action="read").count() == 0
    )


@pytest.mark.django_db
def test_vread_serves_the_current_version_only(clerk, register):
    # given
    patient = register()
    current = f"{TYPE}/{patient.external_id}/_history/{version_of(patient)}"

    # when
    found = clerk.get(current)
    older = clerk.get(f"{TYPE}/{patient.external_id}/_history/1")

    # then
    assert _resource(found).id == str(patient.external_id)
    assert older.status_code == 404
    assert "not kept" in operation_outcome(older).issue[0].diagnostics


@pytest.mark.django_db
def test_update_replaces_the_details_and_keeps_what_fhir_does_not_carry(clerk, register):
    # given
    patient = register(consent_sms=True, gender_identity="woman", sex="female")
    current = _resource(clerk.get(f"{TYPE}/{patient.external_id}"))
    changed = current.model_dump(mode="json", exclude_none=True)
    changed["name"] = [{"use": "official", "family": "Otieno", "given": ["Akinyi"]}]
    changed["telecom"] = [{"system": "email", "value": "akinyi@example.org"}]

    # when
    response = clerk.put(
        f"{TYPE}/{patient.external_id}", json.dumps(changed), content_type=FHIR_JSON
    )

    # then
    updated = _resource(response)
    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.given_name, stored.family_name, stored.email, stored.phone) == (
        "Akinyi",
        "Otieno",
        "akinyi@example.org",
        "",
    )
    assert (stored.consent_sms, stored.gender_identity) == (True, "woman")
    assert updated.meta.versionId != current.meta.versionId
    assert AuditEvent.objects.filter(action="update", patient_id=str(patient.external_id)).exists()


@pytest.mark.parametrize("body_id", [None, "00000000-0000-0000-0000-000000000000"])
@pytest.mark.django_db
def test_update_with_a_missing_or_other_id_is_400(clerk, register, body_id):
    # given
    patient = register()
    resource = _amina(**({"id": body_id} if body_id else {}))

    # when
    response = clerk.put(
        f"{TYPE}/{patient.external_id}", json.dumps(resource), content_type=FHIR_JSON
    )

    # then
    assert response.status_code == 400
    assert operation_outcome(response).issue[0].expression == ["Patient.id"]
    assert Patient.objects.get(pk=patient.pk).given_name == "Juma"


@pytest.mark.django_db
def test_a_doctor_may_read_but_not_create_or_update(api_client_for, register):
    # given
    patient = register()
    doctor = api_client_for("doctor")

    # when
    read = doctor.get(f"{TYPE}/{patient.external_id}")
    create = _post(doctor, _amina())
    update = doctor.put(
        f"{TYPE}/{patient.external_id}",
        json.dumps(_amina(id=str(patient.external_id))),
        content_type=FHIR_JSON,
    )

    # then
    assert read.status_code == 200
    assert create.status_code == 403
    assert update.status_code == 403
    assert operation_outcome(create).issue[0].code == "forbidden"
    assert Patient.objects.count() == 1
