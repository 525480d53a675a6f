"""The scheduling REST API: free slots, booking (409 with the next free slots when
taken), cancelling and moving, with hostile input refused as 400 naming the field."""

from __future__ import annotations

import pytest

from hms.patients.testing import registered
from hms.scheduling.models import Appointment, Slot

pytestmark = pytest.mark.django_db

APPOINTMENTS = "/api/v1/appointments/"


@pytest.fixture
def desk(api_client_for):
    return api_client_for("receptionist")


def book(client, patient, slot, **extra):
    body = {"patient": str(patient.external_id), "slot": slot.pk, **extra}
    return client.post(APPOINTMENTS, body, format="json")


def test_free_slots_by_specialty_earliest_first_without_emergency_slots(desk, schedule, slot):
    response = desk.get("/api/v1/slots/", {"specialty": "PAED", "limit": 5})
    assert response.status_code == 200
    slots = response.json()
    assert len(slots) == 5
    assert slots[0]["id"] == slot.pk
    assert slots[0]["practitioner"]["name"] == "Dr Amina Hassan"
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)
    assert not any(s["is_emergency"] for s in slots)
    assert desk.get("/api/v1/slots/", {"specialty": "CARDIO"}).json() == []


def test_book_then_list_then_cancel(desk, patient, slot):
    created = book(desk, patient, slot, kind="follow_up", reason="Review")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["kind"], body["slot"]) == ("booked", "follow_up", slot.pk)
    listed = desk.get(APPOINTMENTS, {"patient": str(patient.external_id)}).json()
    assert [a["id"] for a in listed] == [body["id"]]
    cancelled = desk.post(
        f"{APPOINTMENTS}{body['id']}/cancel/", {"reason": "Unwell"}, format="json"
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = desk.post(f"{APPOINTMENTS}{body['id']}/cancel/", {"reason": "Twice"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "CANNOT_CANCEL"


def test_a_taken_slot_answers_409_with_the_next_free_slots(desk, patient, slot, facility):
    assert book(desk, patient, slot).status_code == 201
    response = book(desk, registered(facility, given_name="Pendo"), slot)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "SLOT_TAKEN"
    offered = body["next_free"]
    assert offered
    assert all(s["id"] != slot.pk for s in offered)
    assert [s["start"] for s in offered] == sorted(s["start"] for s in offered)


def test_reschedule_through_the_api(desk, patient, slot, schedule):
    later = Slot.objects.filter(schedule=schedule).order_by("starts_at")[2]
    first = book(desk, patient, slot).json()
    moved = desk.post(f"{APPOINTMENTS}{first['id']}/reschedule/", {"slot": later.pk}, format="json")
    assert moved.status_code == 201
    assert moved.json()["rescheduled_from"] == first["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slot": "1"}, "slot"),
        ({"slot": True}, "slot"),
        ({"slot": 0}, "slot"),
        ({"slot": 10**12}, "slot"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"kind": "x' OR 1=1 --"}, "kind"),
        ({"reason": "x" * 301}, "reason"),
        ({"reason": "\u202eevil"}, "reason"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_hostile_bookings_get_400_naming_the_field(desk, patient, slot, body, field):
    values = {"patient": str(patient.external_id), "slot": slot.pk, **body}
    response = desk.post(APPOINTMENTS, values, format="json")
    if field == "slot" and body["slot"] == 10**12:
        assert response.status_code == 404  # a well-formed id of no slot here
    else:
        assert response.status_code == 400, response.json()
        assert field in response.json()["errors"]
    assert not Appointment.objects.exists()


def test_a_patient_of_another_facility_is_not_found(api_client_for, other_facility, patient, slot):
    stranger = api_client_for("receptionist", at=other_facility)
    assert book(stranger, patient, slot).status_code == 404


def test_roles_without_booking_get_403(api_client_for, patient, slot):
    assert book(api_client_for("pharmacist"), patient, slot).status_code == 403
    assert not Appointment.objects.exists()
