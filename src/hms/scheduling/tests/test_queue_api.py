"""The outpatient loop over REST: book, check in, see the ticket, call, finish."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from hms.core.models import Department
from hms.patients.testing import registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def opd(facility, practitioner) -> Department:
    department = Department.objects.get(facility=facility, code="OPD")
    practitioner.department = department
    practitioner.save()
    return department


def test_the_loop_from_booking_to_a_finished_visit(
    api_client_for, make_user, patient, slot, opd, practitioner
):
    desk = api_client_for("receptionist")
    booked = desk.post(
        "/api/v1/appointments/",
        {"patient": str(patient.external_id), "slot": slot.pk},
        format="json",
    ).json()
    doctor = api_client_for("doctor")
    practitioner.user = doctor.user
    practitioner.save()
    with time_machine.travel(slot.starts_at - dt.timedelta(minutes=20), tick=True):
        checked_in = desk.post(f"/api/v1/appointments/{booked['id']}/check-in/", {}, format="json")
        assert checked_in.status_code == 201, checked_in.json()
        ticket = checked_in.json()
        assert (ticket["label"], ticket["status"], ticket["appointment"]) == (
            "OPD-001",
            "waiting",
            booked["id"],
        )
        listed = desk.get("/api/v1/queue/", {"department": "OPD"}).json()
        assert [t["label"] for t in listed] == ["OPD-001"]

        called = doctor.post(
            "/api/v1/queue/call-next/", {"department": "OPD", "called_to": "Room 3"}, format="json"
        )
        assert called.status_code == 200
        assert called.json()["encounter_status"] == "in_consultation"
        nobody = doctor.post("/api/v1/queue/call-next/", {"department": "OPD"}, format="json")
        assert nobody.status_code == 204

        done = doctor.post(f"/api/v1/queue/tickets/{ticket['id']}/finish/", {}, format="json")
        assert done.json()["encounter_status"] == "finished"
    listed = desk.get("/api/v1/appointments/", {"patient": str(patient.external_id)}).json()
    assert listed[0]["status"] == "fulfilled"


def test_a_walk_in_with_priority_and_hostile_input(api_client_for, facility, opd):
    desk = api_client_for("receptionist")
    patient = registered(facility, given_name="Halima")
    good = desk.post(
        "/api/v1/queue/walk-ins/",
        {"patient": str(patient.external_id), "department": "OPD", "priority": "emergency"},
        format="json",
    )
    assert good.status_code == 201
    assert good.json()["priority"] == "Emergency"
    for body, field in (
        ({"department": "OPD", "priority": "vip"}, "priority"),
        ({"department": "'; DROP TABLE x; --"}, "department"),
        ({"department": "OPD", "left": True}, "left"),
    ):
        answer = desk.post(
            "/api/v1/queue/walk-ins/", {"patient": str(patient.external_id), **body}, format="json"
        )
        assert answer.status_code in (400, 404), answer.json()
        assert field in (answer.json().get("errors") or {answer.json().get("field"): 1})


def test_a_receptionist_cannot_call_patients_in(api_client_for, opd):
    desk = api_client_for("receptionist")
    answer = desk.post("/api/v1/queue/call-next/", {"department": "OPD"}, format="json")
    assert answer.status_code == 403
