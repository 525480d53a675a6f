"""The next free slots of several practitioners, looked for one time span after another:
the same slots, in the same order, as one query over all time would give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from hms.scheduling import selectors, services
from hms.scheduling.models import Slot
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
