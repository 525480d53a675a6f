"""Every read of a patient through an API door writes an audit row naming the patient,
the reader and the door; a refused read writes none for the patient."""

from __future__ import annotations

import pytest

from hms.audit.models import AuditEvent
from hms.interop.fhir.resources.patient import version_of

DOORS = {
    "REST record": lambda p: f"/api/v1/patients/{p.external_id}/",
    "REST search": lambda p: f"/api/v1/patients/?q={p.mrn}",
    "REST timeline": lambda p: f"/api/v1/patients/{p.external_id}/timeline/",
    "REST duplicates": lambda p: f"/api/v1/patients/{p.external_id}/duplicates/",
    "FHIR read": lambda p: f"/fhir/R4/Patient/{p.external_id}",
    "FHIR vread": lambda p: f"/fhir/R4/Patient/{p.external_id}/_history/{version_of(p)}",
    "FHIR search": lambda p: f"/fhir/R4/Patient?_id={p.external_id}",
}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.django_db
def test_a_read_through_each_door_is_audited(api_client_for, register, door):
    # given
    patient = register()
    nurse = api_client_for("nurse")

    # when
    response = nurse.get(DOORS[door](patient))

    # then
    assert response.status_code == 200, response.content
    reads = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, patient_id=str(patient.external_id)
    )
    assert reads.count() == 1
    read = reads.get()
    assert read.actor_id == nurse.user.pk
    assert read.channel == "api"
    assert read.outcome == AuditEvent.Outcome.SUCCESS
    assert read.patients_named == [str(patient.external_id)]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.django_db
def test_a_refused_read_is_not_a_read_of_the_patient(api_client_for, register, door):
    # given: auditors see the trail, not charts
    patient = register()

    # when
    response = api_client_for("auditor").get(DOORS[door](patient))

    # then
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.READ,
        patient_id=str(patient.external_id),
        outcome=AuditEvent.Outcome.SUCCESS,
    ).exists()
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).count() == 1
