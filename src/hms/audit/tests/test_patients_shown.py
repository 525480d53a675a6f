"""One audit event per request for the patients its answer showed, found by patient;
not-found probes recorded with what they asked for."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse

from hms.audit.models import AuditEvent, AuditEventPatient
from hms.audit.selectors import search_events, verify_chain
from hms.audit.services import record_patients_shown
from hms.audit.tests.helpers import postgresql_only, raw_sql
from hms.patients.tests.mpi_helpers import register

pytestmark = pytest.mark.django_db


def _last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _written_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=before).order_by("id"))


def test_a_list_of_patients_is_one_event_naming_each_of_them(facility, api_client_for):
    # given
    graces = [register(facility, given_name="Grace", family_name=f"Otieno{n}") for n in "abc"]
    nurse = api_client_for("nurse")
    before = _last_id()

    # when
    response = nurse.get(reverse("patient-list"), {"q": "grace"})

    # then
    assert response.status_code == 200
    [read] = _written_since(before)
    shown = sorted(str(p.external_id) for p in graces)
    assert read.action == AuditEvent.Action.READ
    assert read.actor_id == nurse.user.pk
    assert sorted(read.patients_named) == shown
    assert sorted(AuditEventPatient.objects.values_list("patient_id", flat=True)) == shown
    for grace in graces:
        assert list(search_events(patient_id=str(grace.external_id), action="read")) == [read]


def test_a_read_no_view_audits_itself_is_recorded(facility, api_client_for):
    # given: the no-show history reads the patient and writes no audit row of its own
    patient = register(facility)
    clerk = api_client_for("receptionist")
    before = _last_id()

    # when
    response = clerk.get(reverse("appointment-no-show-history", args=[patient.external_id]))

    # then
    assert response.status_code == 200
    [read] = _written_since(before)
    assert read.action == AuditEvent.Action.READ
    assert read.patient_id == str(patient.external_id)
    assert read.object_id == str(patient.external_id)
    assert read.object_type.startswith("api:/api/v1/appointments/no-shows/")
    assert read.channel == "api"


def test_a_refused_answer_is_no_read_of_the_patient(facility, api_client_for):
    # given
    patient = register(facility)
    auditor = api_client_for("auditor")

    # when
    response = auditor.get(reverse("appointment-no-show-history", args=[patient.external_id]))

    # then
    assert response.status_code == 403
    assert not search_events(patient_id=str(patient.external_id), action="read").exists()
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).count() == 1


@pytest.mark.parametrize(
    "route",
    ["patient-detail", "appointment-no-show-history", "fhir-patient-instance"],
)
def test_a_probe_of_another_facilitys_patient_is_recorded_as_not_found(
    route, facility, other_facility, api_client_for
):
    # given
    theirs = register(facility)
    outsider = api_client_for("nurse", at=other_facility)
    before = _last_id()

    # when
    response = outsider.get(reverse(route, args=[theirs.external_id]))

    # then
    assert response.status_code == 404
    [probe] = _written_since(before)
    assert probe.outcome == AuditEvent.Outcome.NOT_FOUND
    assert probe.actor_id == outsider.user.pk
    assert probe.object_id == str(theirs.external_id)
    assert str(theirs.external_id) in probe.reason
    assert probe.patients_named == []


def test_an_address_no_endpoint_answers_is_not_recorded(api_client_for):
    # given
    nurse = api_client_for("nurse")
    before = _last_id()

    # when
    response = nurse.get(f"/api/v1/no-such-endpoint/{uuid.uuid4()}/")

    # then
    assert response.status_code == 404
    assert _written_since(before) == []


def test_outside_a_request_the_read_is_written_at_once(facility):
    # given
    first, second = register(facility), register(facility, given_name="Achieng")
    before = _last_id()

    # when
    record_patients_shown(
        actor=None, patient_ids=[first.external_id, second.external_id], what="export"
    )

    # then
    [read] = _written_since(before)
    assert read.patients_named == [str(first.external_id), str(second.external_id)]
    assert read.reason == "export"
    assert verify_chain().ok


def test_the_chain_covers_the_patients_a_read_showed(facility):
    # given
    first, second = register(facility), register(facility, given_name="Achieng")
    record_patients_shown(actor=None, patient_ids=[first.external_id, second.external_id], what="x")
    assert verify_chain().ok

    # when: someone with the table owner's rights drops a patient from the list
    with raw_sql() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET patient_ids = %s WHERE patient_ids <> ''",
            [str(first.external_id)],
        )

    # then
    report = verify_chain()
    assert not report.ok
    assert "altered" in report.problem


@postgresql_only
def test_the_index_of_patients_shown_is_append_only(facility):
    # given
    record_patients_shown(actor=None, patient_ids=["a", "b"], what="x")

    # when / then
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditeventpatient")


def test_a_page_probe_of_another_facilitys_patient_is_recorded_as_not_found(
    facility, other_facility, client_for
):
    # given
    theirs = register(facility)
    outsider = client_for("nurse", at=other_facility)
    before = _last_id()

    # when
    response = outsider.get(reverse("patients:patient-detail", args=[theirs.external_id]))

    # then
    assert response.status_code == 404
    [probe] = _written_since(before)
    assert probe.outcome == AuditEvent.Outcome.NOT_FOUND
    assert probe.object_id == str(theirs.external_id)
    assert probe.channel == "web"
