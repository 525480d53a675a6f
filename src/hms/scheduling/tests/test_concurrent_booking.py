"""Eight clerks send a booking for the same last place at the same moment: one gets it,
seven get 409 with the next free slots, and the slot is never overfilled (real threads,
each with its own database connection, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hms.patients.testing import registered
from hms.scheduling.models import Appointment, Slot

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers: pytest-django's shared-cache in-memory SQLite "
        "database fails a second writer at once with 'database table is locked'",
    ),
    pytest.mark.django_db(transaction=True),
]

CLERKS = 8


def race(clients, bodies) -> list:
    start = threading.Barrier(len(clients))
    answers: list = [None] * len(clients)

    def run(i):
        try:
            start.wait(timeout=30)
            answers[i] = clients[i].post("/api/v1/appointments/", bodies[i], format="json")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a booking hung"
    return answers


@pytest.mark.parametrize("capacity", [1, 3])
def test_clerks_racing_for_one_slot_never_overfill_it(api_client_for, facility, slot, capacity):
    Slot.objects.filter(pk=slot.pk).update(capacity=capacity)
    clients = [api_client_for("receptionist") for _ in range(CLERKS)]
    patients = [registered(facility, given_name=f"Racer{i}") for i in range(CLERKS)]
    bodies = [{"patient": str(p.external_id), "slot": slot.pk} for p in patients]

    answers = race(clients, bodies)

    statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
    assert statuses == [201] * capacity + [409] * (CLERKS - capacity), statuses
    for answer in answers:
        if answer.status_code == 409:
            body = answer.json()
            assert body["code"] == "SLOT_TAKEN"
            assert body["next_free"]
            assert all(s["id"] != slot.pk for s in body["next_free"])
    slot.refresh_from_db()
    assert slot.booked == capacity
    assert Appointment.objects.filter(slot=slot).count() == capacity
