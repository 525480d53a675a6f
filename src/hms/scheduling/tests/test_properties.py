"""Properties: whatever JSON the scheduling endpoints get, they answer cleanly (never a
500) and a refusal saves nothing; whatever order bookings and cancellations come in, a
slot's count equals its live appointments and never passes its capacity."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hms.core.errors import DomainError
from hms.core.tests.strategies import json_value
from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.models import Appointment, Schedule, Slot, WaitlistEntry

pytestmark = pytest.mark.django_db

FIELDS = {
    "/api/v1/appointments/": ["patient", "slot", "kind", "reason"],
    "/api/v1/waitlist/": ["patient", "practitioner", "specialty", "earliest", "latest", "note"],
    "/api/v1/schedules/": [
        "practitioner",
        "room",
        "weekday",
        "starts_at",
        "ends_at",
        "slot_minutes",
        "capacity",
        "breaks",
        "valid_from",
        "valid_until",
    ],
}
QUICK = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def counts() -> tuple[int, ...]:
    return (
        Appointment.objects.count(),
        WaitlistEntry.objects.count(),
        Schedule.objects.count(),
        Slot.objects.count(),
    )


@pytest.fixture
def office(api_client_for):
    return api_client_for("admin")


@QUICK
@given(
    endpoint=st.sampled_from(sorted(FIELDS)),
    data=st.data(),
)
def test_any_body_is_answered_cleanly(office, schedule, patient, slot, endpoint, data):
    names = st.one_of(st.sampled_from(FIELDS[endpoint]), st.text(max_size=12))
    body = data.draw(st.dictionaries(names, json_value, max_size=5))
    before = counts()
    response = office.post(endpoint, body, format="json")
    assert response.status_code in (201, 400, 403, 404, 409), response.content
    if response.status_code != 201:
        answer = response.json()
        assert answer["code"]
        assert answer["detail"]
        assert counts() == before


@QUICK
@given(
    steps=st.lists(st.tuples(st.sampled_from(["book", "cancel"]), st.integers(0, 3)), max_size=12)
)
def test_a_slot_never_holds_more_than_its_places(receptionist, schedule, facility, steps):
    slot = Slot.objects.filter(schedule=schedule, is_emergency=False).order_by("-starts_at")[0]
    Slot.objects.filter(pk=slot.pk).update(capacity=2)
    Appointment.objects.filter(slot=slot).delete()
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    people = [registered(facility, given_name=f"Person{n}") for n in range(4)]
    for action, who in steps:
        slot.refresh_from_db()
        try:
            if action == "book":
                services.book_appointment(actor=receptionist, patient=people[who], slot=slot)
            else:
                live = Appointment.objects.filter(
                    slot=slot, patient=people[who], status=Appointment.Status.BOOKED
                ).first()
                if live is not None:
                    services.cancel_appointment(
                        actor=receptionist, appointment=live, reason="Changed plans"
                    )
        except DomainError:
            pass
        slot.refresh_from_db()
        live = Appointment.objects.filter(slot=slot, status__in=Appointment.LIVE).count()
        assert slot.booked == live <= slot.capacity
