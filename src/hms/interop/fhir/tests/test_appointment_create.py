"""POST /fhir/R4/Appointment books a Slot through scheduling's booking service; every
refusal is an OperationOutcome naming the element, and nothing is saved."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.slot import Slot as FhirSlot

from hms.interop.fhir.tests.helpers import FHIR_JSON, operation_outcome
from hms.interop.fhir.tests.scheduling_clinic import a_clinic, body
from hms.patients.models import Patient
from hms.patients.testing import registered
from hms.scheduling import selectors, services
from hms.scheduling.models import Appointment, Slot
from hms.staff import services as staff
from hms.staff.inputs import PractitionerInput

TYPE = "/fhir/R4/Appointment"


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def clinic(facility, admin):
    return a_clinic(facility, admin)


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


@pytest.fixture
def patient(facility):
    return registered(facility)


def _booking(booked, patient, **changes) -> dict:
    resource = {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{booked.pk}"}],
        "participant": [
            {"actor": {"reference": f"Patient/{patient.external_id}"}, "status": "accepted"}
        ],
    }
    resource.update(changes)
    return resource


def _post(client, resource):
    payload = resource if isinstance(resource, str) else json.dumps(resource)
    return client.post(TYPE, payload, content_type=FHIR_JSON)


def _refused(response, status: int, expression: str | None = None):
    assert response.status_code == status, response.content
    outcome = operation_outcome(response)
    if expression is not None:
        assert outcome.issue[0].expression == [expression], outcome.issue[0]
    return outcome


def _nothing_booked(slot) -> None:
    assert Appointment.objects.exists() is False
    assert Slot.objects.get(pk=slot.pk).booked == 0


@pytest.mark.django_db
def test_create_books_the_slot_which_then_reads_busy(clerk, clinic, patient):
    # given
    slot = clinic.first_slot()

    # when
    response = _post(
        clerk,
        _booking(
            slot,
            patient,
            reasonCode=[{"text": "Cough for two weeks"}],
            appointmentType={
                "coding": [{"system": "urn:hms:appointment-kind", "code": "follow_up"}]
            },
        ),
    )

    # then
    assert response.status_code == 201, response.content
    created = FhirAppointment.model_validate(body(response))
    appointment = Appointment.objects.get()
    assert created.id == str(appointment.external_id)
    assert response["Location"] == f"http://testserver{TYPE}/{appointment.external_id}"
    assert created.status == "booked"
    assert [s.reference for s in created.slot] == [f"Slot/{slot.pk}"]
    assert (appointment.patient, appointment.slot, appointment.kind, appointment.reason) == (
        patient,
        slot,
        "follow_up",
        "Cough for two weeks",
    )
    actors = [p.actor.reference for p in created.participant]
    assert actors[:2] == [
        f"Patient/{patient.external_id}",
        f"Practitioner/{clinic.amina.external_id}",
    ]
    assert actors[2].startswith("#room-")
    assert created.start == slot.starts_at
    slot_now = FhirSlot.model_validate(body(clerk.get(f"/fhir/R4/Slot/{slot.pk}")))
    assert slot_now.status == "busy"


@pytest.mark.django_db
def test_the_rest_api_shows_the_booking(clerk, clinic, patient):
    # given
    slot = clinic.first_slot()
    created = body(_post(clerk, _booking(slot, patient)))

    # when
    listed = clerk.get("/api/v1/appointments/", {"patient": str(patient.external_id)})

    # then
    assert listed.status_code == 200
    assert [(a["id"], a["slot"], a["status"]) for a in listed.json()] == [
        (created["id"], slot.pk, "booked")
    ]


@pytest.mark.django_db
def test_a_taken_slot_answers_409_with_the_next_free_slots(clerk, clinic, patient, facility):
    # given: the slot is booked for someone else
    slot = clinic.first_slot()
    assert (
        _post(clerk, _booking(slot, registered(facility, given_name="Baraka"))).status_code == 201
    )
    expected = selectors.next_free_slots(
        facility=facility,
        practitioner_id=clinic.amina.pk,
        after=slot.starts_at - dt.timedelta(seconds=1),
    )

    # when
    response = _post(clerk, _booking(slot, patient))

    # then
    outcome = _refused(response, 409, "Appointment.slot[0]")
    assert (outcome.issue[0].severity, outcome.issue[0].code) == ("error", "conflict")
    offers = outcome.issue[1:]
    assert {(i.severity, i.code) for i in offers} == {("information", "informational")}
    assert [i.diagnostics.split(" ")[0] for i in offers] == [f"Slot/{s.pk}" for s in expected]
    assert len(offers) == 10
    assert Appointment.objects.filter(patient=patient).exists() is False
    assert Slot.objects.get(pk=slot.pk).booked == 1


@pytest.mark.django_db
def test_a_slot_that_has_started_is_refused(clerk, clinic, patient):
    # given
    slot = clinic.first_slot()
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=1),
        ends_at=timezone.now() + dt.timedelta(minutes=14),
    )

    # when
    response = _post(clerk, _booking(slot, patient))

    # then
    outcome = _refused(response, 400, "Appointment.slot[0]")
    assert "already started" in outcome.issue[0].diagnostics
    _nothing_booked(slot)


@pytest.mark.django_db
def test_a_blocked_slot_is_refused_with_its_reason(clerk, clinic, patient, admin, facility):
    # given
    slot = clinic.first_slot()
    services.add_block(
        actor=admin,
        facility=facility,
        practitioner=clinic.amina,
        kind="leave",
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        reason="Conference",
    )

    # when
    response = _post(clerk, _booking(slot, patient))

    # then
    outcome = _refused(response, 409, "Appointment.slot[0]")
    assert "Conference" in outcome.issue[0].diagnostics
    _nothing_booked(slot)


@pytest.mark.parametrize(
    "change",
    [{"is_deceased": True}, {"status": Patient.Status.MERGED}],
    ids=["deceased", "merged away"],
)
@pytest.mark.django_db
def test_a_patient_who_cannot_be_booked_is_refused(clerk, clinic, patient, facility, change):
    # given
    slot = clinic.first_slot()
    if change.get("status") == Patient.Status.MERGED:
        change = {**change, "merged_into": registered(facility, given_name="Survivor")}
    Patient.objects.filter(pk=patient.pk).update(**change)

    # when
    response = _post(clerk, _booking(slot, patient))

    # then
    _refused(response, 400, "Appointment.participant[0].actor.reference")
    _nothing_booked(slot)


@pytest.mark.parametrize(
    ("payload", "status", "expression"),
    [
        ("{not json", 400, None),
        ("[]", 400, "Appointment"),
        ({"resourceType": "Patient"}, 400, "Appointment.resourceType"),
        ({"status": "nope"}, 400, "Appointment.status"),
        ({"status": "proposed"}, 422, "Appointment.status"),
        ({"status": True}, 400, "Appointment.status"),
        ({"participant": []}, 400, None),
        ({"participant": [{"actor": {"reference": "Patient/x"}}]}, 400, None),
        ({"slot": []}, 400, "Appointment.slot"),
        ({"slot": [{"reference": "Slot/1"}, {"reference": "Slot/2"}]}, 400, "Appointment.slot"),
        ({"slot": [{"reference": "Schedule/1"}]}, 400, "Appointment.slot[0].reference"),
        ({"slot": [{"reference": "Slot/<script>"}]}, 400, "Appointment.slot[0].reference"),
        (
            {"participant": [{"actor": {"reference": "Group/1"}, "status": "accepted"}]},
            400,
            "Appointment.participant[0].actor.reference",
        ),
        (
            {"participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}]},
            400,
            "Appointment.participant[0].actor.reference",
        ),
        (
            {"participant": [{"actor": {"reference": "#room"}, "status": "accepted"}]},
            400,
            "Appointment.participant",
        ),
        ({"appointmentType": {"text": "Check-up"}}, 400, "Appointment.appointmentType"),
        ({"reasonCode": [{"text": "a\x00b"}]}, 400, "Appointment.reasonCode[0].text"),
        ({"reasonCode": [{"text": "x" * 301}]}, 400, "Appointment.reasonCode[0].text"),
        ({"minutesDuration": "15"}, 400, "Appointment.minutesDuration"),
    ],
)
@pytest.mark.django_db
def test_malformed_bodies_answer_an_outcome_naming_the_element(
    clerk, clinic, patient, payload, status, expression
):
    # given
    slot = clinic.first_slot()
    resource = payload if isinstance(payload, str) else _booking(slot, patient, **payload)

    # when
    response = _post(clerk, resource)

    # then
    _refused(response, status, expression)
    _nothing_booked(slot)


@pytest.mark.django_db
def test_an_unknown_slot_or_patient_is_unprocessable(clerk, clinic, patient):
    # given
    slot = clinic.first_slot()
    missing = Slot.objects.order_by("-pk").first().pk + 1000

    # when
    no_slot = _post(clerk, _booking(slot, patient, slot=[{"reference": f"Slot/{missing}"}]))
    no_patient = _post(
        clerk,
        _booking(
            slot,
            patient,
            participant=[
                {
                    "actor": {"reference": "Patient/8d5a1c3e-0000-4000-8000-000000000000"},
                    "status": "accepted",
                }
            ],
        ),
    )

    # then
    assert (
        f"Slot/{missing}"
        in _refused(no_slot, 422, "Appointment.slot[0].reference").issue[0].diagnostics
    )
    _refused(no_patient, 422, "Appointment.participant[0].actor.reference")
    _nothing_booked(slot)


@pytest.mark.django_db
def test_another_facilitys_slot_or_patient_is_unknown_here(
    clerk, clinic, patient, other_facility, make_user
):
    # given
    their_admin = make_user("admin", at=other_facility)
    theirs = staff.add_practitioner(
        actor=their_admin,
        facility=other_facility,
        data=PractitionerInput(given_name="Far", family_name="Away"),
    )
    services.add_schedule(
        actor=their_admin,
        practitioner=theirs,
        weekday=clinic.tomorrow.weekday(),
        starts_at=dt.time(8, 0),
        ends_at=dt.time(9, 0),
        slot_minutes=30,
        valid_from=clinic.tomorrow,
    )
    their_slot = Slot.objects.filter(practitioner=theirs).order_by("starts_at").first()
    their_patient = registered(other_facility)
    ours = clinic.first_slot()

    # when
    slot_elsewhere = _post(clerk, _booking(their_slot, patient))
    patient_elsewhere = _post(clerk, _booking(ours, their_patient))

    # then
    _refused(slot_elsewhere, 422, "Appointment.slot[0].reference")
    _refused(patient_elsewhere, 422, "Appointment.participant[0].actor.reference")
    assert Appointment.objects.exists() is False
    assert Slot.objects.get(pk=their_slot.pk).booked == 0


@pytest.mark.parametrize(
    ("changes", "expression"),
    [
        ({"practitioner": "otieno"}, "Appointment.participant[1].actor.reference"),
        ({"start": "2030-01-01T08:00:00+03:00"}, "Appointment.start"),
    ],
)
@pytest.mark.django_db
def test_a_practitioner_or_time_the_slot_contradicts_is_unprocessable(
    clerk, clinic, patient, changes, expression
):
    # given
    slot = clinic.first_slot()
    resource = _booking(slot, patient)
    if "practitioner" in changes:
        resource["participant"].append(
            {
                "actor": {"reference": f"Practitioner/{clinic.otieno.external_id}"},
                "status": "accepted",
            }
        )
    else:
        resource.update(changes)

    # when
    response = _post(clerk, resource)

    # then
    _refused(response, 422, expression)
    _nothing_booked(slot)


@pytest.mark.django_db
def test_the_slots_own_practitioner_and_time_are_accepted(clerk, clinic, patient):
    # given: what a client copies from the Slot and the PractitionerRole
    slot = clinic.first_slot()
    resource = _booking(
        slot,
        patient,
        start=slot.starts_at.isoformat(),
        end=slot.ends_at.isoformat(),
        description="Review of results",
    )
    resource["participant"].append(
        {"actor": {"reference": f"Practitioner/{clinic.amina.external_id}"}, "status": "accepted"}
    )

    # when
    response = _post(clerk, resource)

    # then
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().reason == "Review of results"


@pytest.mark.parametrize("role", ["pharmacist", "auditor", "billing_clerk"])
@pytest.mark.django_db
def test_a_role_that_may_not_book_is_refused(api_client_for, clinic, patient, role):
    # given
    slot = clinic.first_slot()

    # when
    response = _post(api_client_for(role), _booking(slot, patient))

    # then
    _refused(response, 403)
    _nothing_booked(slot)


@pytest.mark.django_db
def test_an_emergency_slot_needs_the_permission_to_give_one(clerk, api_client_for, clinic, patient):
    # given: the session's last slot is held for emergencies
    held = Slot.objects.filter(schedule=clinic.morning, is_emergency=True).order_by("starts_at")[0]

    # when
    refused = _post(clerk, _booking(held, patient))
    given = _post(api_client_for("nurse"), _booking(held, patient))

    # then
    assert _refused(refused, 403).issue[0].code == "forbidden"
    assert given.status_code == 201, given.content


@pytest.mark.django_db
def test_a_booking_sent_twice_books_once_and_answers_the_first(clerk, clinic, patient):
    # given
    slot = clinic.first_slot()
    first = _post(clerk, _booking(slot, patient))

    # when
    again = _post(clerk, _booking(slot, patient))

    # then
    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert body(again)["id"] == body(first)["id"]
    assert Appointment.objects.count() == 1
    assert Slot.objects.get(pk=slot.pk).booked == 1
