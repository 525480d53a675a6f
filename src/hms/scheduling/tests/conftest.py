"""A clinic with one doctor: Dr Amina Hassan (paediatrics) sees patients tomorrow and
every week on that weekday, 08:00-12:00 in 15-minute slots, a break at 10:00, the last
slot held for emergencies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.models import Room, Slot
from hms.scheduling.times import zone_of
from hms.staff.models import Practitioner, Specialty


@pytest.fixture
def specialty(db) -> Specialty:
    return Specialty.objects.create(code="PAED", name="Paediatrics")


@pytest.fixture
def practitioner(facility, specialty) -> Practitioner:
    doctor = Practitioner.objects.create(
        facility=facility,
        title="Dr",
        given_name="Amina",
        family_name="Hassan",
        search_name="amina hassan",
        languages=["en", "sw"],
    )
    doctor.specialties.add(specialty)
    return doctor


@pytest.fixture
def room(facility) -> Room:
    return Room.objects.create(facility=facility, code="R3", name="Consulting room 3")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def tomorrow(facility) -> dt.date:
    return timezone.localdate(timezone=zone_of(facility)) + dt.timedelta(days=1)


@pytest.fixture
def schedule(admin, practitioner, room, tomorrow):
    return services.add_schedule(
        actor=admin,
        practitioner=practitioner,
        room=room,
        weekday=tomorrow.weekday(),
        starts_at=dt.time(8, 0),
        ends_at=dt.time(12, 0),
        slot_minutes=15,
        valid_from=tomorrow,
        emergency_slots=1,
        breaks=[(dt.time(10, 0), dt.time(10, 15))],
    )


@pytest.fixture
def slot(schedule) -> Slot:
    """Tomorrow's 08:00 slot."""
    return Slot.objects.filter(schedule=schedule).order_by("starts_at").first()


@pytest.fixture
def patient(facility):
    return registered(facility)


@pytest.fixture
def receptionist(make_user):
    return make_user("receptionist")
