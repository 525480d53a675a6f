"""Availability over REST: rooms, weekly sessions and blocks, with impossible sessions
refused as 400 naming the field and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.scheduling.models import Room, Schedule, Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(api_client_for):
    return api_client_for("admin")


def session(practitioner, tomorrow, **extra):
    return {
        "practitioner": str(practitioner.external_id),
        "weekday": tomorrow.weekday(),
        "starts_at": "14:00",
        "ends_at": "16:00",
        "slot_minutes": 20,
        "valid_from": tomorrow.isoformat(),
        **extra,
    }


def test_a_room_then_a_session_in_it_makes_slots(office, practitioner, tomorrow):
    room = office.post("/api/v1/rooms/", {"code": "R9", "name": "Room 9"}, format="json")
    assert room.status_code == 201, room.json()
    created = office.post(
        "/api/v1/schedules/",
        session(practitioner, tomorrow, room="R9", breaks=[["15:00", "15:20"]]),
        format="json",
    )
    assert created.status_code == 201, created.json()
    schedule = Schedule.objects.get(external_id=created.json()["id"])
    first_day = Slot.objects.filter(
        schedule=schedule, starts_at__date__lte=tomorrow + dt.timedelta(days=1)
    )
    assert first_day.count() == 5  # six 20-minute slots less the break
    listed = office.get("/api/v1/schedules/", {"practitioner": str(practitioner.external_id)})
    assert [s["id"] for s in listed.json()] == [created.json()["id"]]
    assert [r["code"] for r in office.get("/api/v1/rooms/").json()] == ["R9"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": "13:00"}, "ends_at"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"slot_minutes": "20"}, "slot_minutes"),
        ({"valid_from": "2026-02-30"}, "valid_from"),
        ({"weekday": 9}, "weekday"),
        ({"room": "NOPE"}, "room"),
        ({"breaks": [["17:00", "18:00"]]}, "breaks"),
        ({"capacity": 10_000}, "capacity"),
    ],
)
def test_impossible_sessions_are_refused(office, practitioner, tomorrow, extra, field):
    response = office.post(
        "/api/v1/schedules/", session(practitioner, tomorrow, **extra), format="json"
    )
    assert response.status_code in (400, 404), response.json()
    body = response.json()
    assert body.get("field") == field or field in body.get("errors", {})
    assert not Schedule.objects.exists()


def test_an_overlapping_session_is_a_conflict(office, schedule, practitioner, tomorrow):
    body = session(practitioner, tomorrow, starts_at="11:00", ends_at="13:00")
    response = office.post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 409
    assert Schedule.objects.count() == 1


def test_a_block_takes_its_slots_away_and_names_the_bookings_to_move(
    office, api_client_for, patient, slot, practitioner
):
    desk = api_client_for("receptionist")
    booked = desk.post(
        "/api/v1/appointments/",
        {"patient": str(patient.external_id), "slot": slot.pk},
        format="json",
    )
    assert booked.status_code == 201
    body = {
        "kind": "leave",
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": (slot.starts_at + dt.timedelta(hours=1)).isoformat(),
        "reason": "Conference",
        "practitioner": str(practitioner.external_id),
    }
    response = office.post("/api/v1/schedule-blocks/", body, format="json")
    assert response.status_code == 201, response.json()
    assert [a["id"] for a in response.json()["to_move"]] == [booked.json()["id"]]
    assert Slot.objects.filter(blocked_reason="Leave: Conference").count() == 4


def test_a_receptionist_cannot_change_availability(api_client_for, practitioner, tomorrow):
    desk = api_client_for("receptionist")
    assert (
        desk.post("/api/v1/schedules/", session(practitioner, tomorrow), format="json").status_code
        == 403
    )
    assert desk.post("/api/v1/rooms/", {"code": "X", "name": "X"}, format="json").status_code == 403
    assert not Room.objects.filter(code="X").exists()
