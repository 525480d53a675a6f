"""The next free slots of several practitioners, looked for one time span after another:
the same slots, in the same order, as one query over all time would give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from hms.scheduling import selectors, services
from hms.scheduling.models import Schedule, Slot
from hms.staff.models import Practitioner, Specialty

pytestmark = pytest.mark.django_db


@pytest.fixture
def surgeon(facility, admin, tomorrow):
    """Dr Baraka Otieno (surgery) sees patients the day after tomorrow, weekly, 14:00-16:00
    in 30-minute slots."""
    doctor = Practitioner.objects.create(
        facility=facility, given_name="Baraka", family_name="Otieno", search_name="baraka otieno"
    )
    doctor.specialties.add(Specialty.objects.create(code="SURG", name="Surgery"))
    day = tomorrow + dt.timedelta(days=1)
    services.add_schedule(
        actor=admin,
        practitioner=doctor,
        weekday=day.weekday(),
        starts_at=dt.time(14, 0),
        ends_at=dt.time(16, 0),
        slot_minutes=30,
        valid_from=day,
    )
    return doctor


def everything(facility, after, limit, specialty=None) -> list[Slot]:
    """One query over all time: what the spans must add up to."""
    slots = selectors.open_slots(facility).filter(starts_at__gt=after, is_emergency=False)
    if specialty:
        slots = slots.filter(practitioner__specialties__code=specialty)
    return list(slots.order_by("starts_at", "practitioner_id")[:limit])


def fill_until(days: int, keep: int = 0) -> None:
    """Book every slot starting in the next `days` days, except the first `keep`."""
    until = timezone.now() + dt.timedelta(days=days)
    early = Slot.objects.filter(starts_at__lt=until).order_by("starts_at")
    Slot.objects.filter(pk__in=list(early.values_list("pk", flat=True)[keep:])).update(
        booked=F("capacity")
    )


@pytest.mark.parametrize(("days", "keep"), [(0, 0), (10, 0), (10, 3), (60, 2), (100, 0)])
@pytest.mark.parametrize("code", [None, "PAED", "SURG"])
def test_spans_find_what_one_query_over_all_time_finds(
    facility, schedule, surgeon, days, keep, code
):
    fill_until(days, keep)
    now = timezone.now()
    for after in (now, now + dt.timedelta(days=6, hours=20), now + dt.timedelta(days=55)):
        for limit in (1, 10, 40):
            found = selectors.next_free_slots(
                facility=facility, specialty=code, after=after, limit=limit
            )
            assert found == everything(facility, after, limit, code)


def test_a_specialty_fully_booked_for_weeks_offers_its_first_free_slot_later(
    facility, schedule, surgeon
):
    fill_until(70)
    found = selectors.next_free_slots(facility=facility, specialty="PAED", limit=3)
    assert len(found) == 3
    assert found[0].starts_at > timezone.now() + dt.timedelta(days=63)
    assert all(s.practitioner.family_name == "Hassan" for s in found)
    assert selectors.next_free_slots(facility=facility, specialty="CARDIO") == []


def test_nothing_free_answers_an_empty_list(facility, schedule, surgeon):
    fill_until(400)
    assert selectors.next_free_slots(facility=facility, limit=10) == []


def one_doctor(facility, doctor, after, limit, emergency) -> list[Slot]:
    """The general query (by external id), what the read by id must match."""
    return selectors.next_free_slots(
        facility=facility,
        practitioner=doctor.external_id,
        after=after,
        limit=limit,
        emergency=emergency,
    )


@pytest.mark.parametrize("emergency", [False, True])
def test_one_practitioner_by_id_reads_what_the_general_query_reads(
    facility, other_facility, schedule, practitioner, emergency
):
    """The read a 409 SLOT_TAKEN answers with (plain SQL) leaves out what the ORM query
    leaves out: full, blocked and emergency slots, an inactive session or practitioner,
    another facility; and gives each slot its practitioner and room."""
    slots = list(Slot.objects.filter(schedule=schedule).order_by("starts_at"))
    Slot.objects.filter(pk=slots[1].pk).update(booked=F("capacity"))
    Slot.objects.filter(pk=slots[2].pk).update(blocked_reason="Ward round")
    now = timezone.now()
    for after in (now, slots[3].starts_at, slots[-1].starts_at):
        for limit in (1, 5, 40):
            found = selectors.next_free_slots(
                facility=facility,
                practitioner_id=practitioner.pk,
                after=after,
                limit=limit,
                emergency=emergency,
            )
            assert found == one_doctor(facility, practitioner, after, limit, emergency)
    first = selectors.next_free_slots(facility=facility, practitioner_id=practitioner.pk)
    assert first[0].practitioner.display_name == practitioner.display_name
    assert first[0].room.name == schedule.room.name
    assert slots[1] not in first
    assert slots[2] not in first
    assert all(not s.is_emergency for s in first)
    assert selectors.next_free_slots(facility=other_facility, practitioner_id=practitioner.pk) == []
    assert selectors.next_free_slots(facility=None, practitioner_id=practitioner.pk) == []
    Schedule.objects.filter(pk=schedule.pk).update(is_active=False)
    assert selectors.next_free_slots(facility=facility, practitioner_id=practitioner.pk) == []
    Schedule.objects.filter(pk=schedule.pk).update(is_active=True)
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])
    assert selectors.next_free_slots(facility=facility, practitioner_id=practitioner.pk) == []
