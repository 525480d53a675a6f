"""Weekly sessions become slots: lengths, breaks, emergency slots, blocks, clock changes,
and every impossible session refused with nothing saved."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.scheduling import services
from hms.scheduling.models import Schedule, ScheduleBlock, Slot
from hms.scheduling.services import _intervals
from hms.staff.models import Practitioner

pytestmark = pytest.mark.django_db


def local(slot: Slot, facility) -> dt.datetime:
    return slot.starts_at.astimezone(zoneinfo.ZoneInfo(facility.timezone))


def test_a_session_becomes_weekly_slots_without_its_break(schedule, facility, tomorrow):
    day = [
        s for s in Slot.objects.filter(schedule=schedule) if local(s, facility).date() == tomorrow
    ]
    starts = [local(s, facility).strftime("%H:%M") for s in day]
    assert len(day) == 15  # 08:00-12:00 in quarters, less the 10:00 break
    assert "10:00" not in starts
    assert starts[0] == "08:00"
    assert starts[-1] == "11:45"
    assert [s.is_emergency for s in day] == [False] * 14 + [True]
    weeks = {local(s, facility).date() for s in Slot.objects.filter(schedule=schedule)}
    assert all(d.weekday() == tomorrow.weekday() for d in weeks)
    assert len(weeks) >= 12  # some thirteen weeks ahead


def test_materialising_again_adds_nothing(schedule, tomorrow):
    assert services.materialise(schedule, until=tomorrow + dt.timedelta(days=90)) == 0


def test_only_schedule_managers_add_sessions(receptionist, practitioner, tomorrow):
    with pytest.raises(NotPermitted):
        services.add_schedule(
            actor=receptionist,
            practitioner=practitioner,
            weekday=0,
            starts_at=dt.time(8),
            ends_at=dt.time(9),
            slot_minutes=15,
            valid_from=tomorrow,
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": dt.time(7, 0)}, "ends_at"),
        ({"ends_at": dt.time(8, 0)}, "ends_at"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"slot_minutes": -15}, "slot_minutes"),
        ({"slot_minutes": 481}, "slot_minutes"),
        ({"slot_minutes": "15"}, "slot_minutes"),
        ({"ends_at": dt.time(8, 10)}, "slot_minutes"),
        ({"weekday": 7}, "weekday"),
        ({"capacity": 0}, "capacity"),
        ({"kind": "surgery'; DROP TABLE x"}, "kind"),
        ({"emergency_slots": 4}, "emergency_slots"),
        ({"breaks": [(dt.time(9), dt.time(8, 30))]}, "breaks"),
        ({"breaks": [(dt.time(7), dt.time(8, 30))]}, "breaks"),
    ],
)
def test_impossible_sessions_are_refused_and_nothing_is_saved(
    admin, practitioner, tomorrow, changes, field
):
    values = {
        "weekday": 2,
        "starts_at": dt.time(8, 0),
        "ends_at": dt.time(9, 0),
        "slot_minutes": 15,
        "valid_from": tomorrow,
        **changes,
    }
    with pytest.raises(InvalidInput) as refused:
        services.add_schedule(actor=admin, practitioner=practitioner, **values)
    assert refused.value.field == field
    assert not Schedule.objects.exists()
    assert not Slot.objects.exists()


def test_a_last_day_before_the_first_is_refused(admin, practitioner, tomorrow):
    with pytest.raises(InvalidInput) as refused:
        services.add_schedule(
            actor=admin,
            practitioner=practitioner,
            weekday=2,
            starts_at=dt.time(8),
            ends_at=dt.time(9),
            slot_minutes=15,
            valid_from=tomorrow,
            valid_until=tomorrow - dt.timedelta(days=1),
        )
    assert refused.value.field == "valid_until"


def test_overlapping_sessions_of_one_doctor_or_one_room_are_refused(
    admin, schedule, practitioner, room, facility, tomorrow
):
    other_doctor = Practitioner.objects.create(
        facility=facility, given_name="Peter", family_name="Kamau", search_name="peter kamau"
    )
    for who, where in ((practitioner, None), (other_doctor, room)):
        with pytest.raises(Conflict) as refused:
            services.add_schedule(
                actor=admin,
                practitioner=who,
                room=where,
                weekday=tomorrow.weekday(),
                starts_at=dt.time(11, 30),
                ends_at=dt.time(13, 0),
                slot_minutes=30,
                valid_from=tomorrow + dt.timedelta(days=14),
            )
        assert refused.value.code == "SCHEDULE_OVERLAP"
    assert Schedule.objects.count() == 1


def test_a_session_ending_before_the_other_begins_does_not_overlap(
    admin, schedule, practitioner, tomorrow
):
    afternoon = services.add_schedule(
        actor=admin,
        practitioner=practitioner,
        weekday=tomorrow.weekday(),
        starts_at=dt.time(12, 0),
        ends_at=dt.time(13, 0),
        slot_minutes=20,
        valid_from=tomorrow,
    )
    assert Slot.objects.filter(schedule=afternoon).count() >= 3


def test_a_block_takes_its_slots_off_offer_and_lists_who_was_booked(
    admin, schedule, slot, patient, practitioner, facility
):
    booked = services.book_appointment(actor=admin, patient=patient, slot=slot)
    block, affected = services.add_block(
        actor=admin,
        facility=facility,
        practitioner=practitioner,
        kind=ScheduleBlock.Kind.LEAVE,
        starts_at=slot.starts_at,
        ends_at=slot.starts_at + dt.timedelta(hours=1),
        reason="Conference",
    )
    assert affected == [booked]
    blocked = Slot.objects.filter(schedule=schedule).exclude(blocked_reason="")
    assert blocked.count() == 4
    assert blocked.first().blocked_reason == "Leave: Conference"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
        ({"reason": "bad\x00byte"}, "reason"),
        ({"kind": "nap"}, "kind"),
        ({"ends_at": dt.datetime(2030, 1, 1, 8, tzinfo=dt.UTC)}, "ends_at"),
        ({"starts_at": dt.datetime(2030, 1, 1, 9)}, "starts_at"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_impossible_blocks_are_refused(admin, facility, changes, field):
    values = {
        "kind": "holiday",
        "starts_at": dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC),
        "ends_at": dt.datetime(2030, 1, 1, 17, tzinfo=dt.UTC),
        "reason": "New Year",
        **changes,
    }
    with pytest.raises(InvalidInput) as refused:
        services.add_block(actor=admin, facility=facility, **values)
    assert refused.value.field == field
    assert not ScheduleBlock.objects.exists()


def test_slots_made_after_a_holiday_was_declared_are_blocked(
    admin, practitioner, facility, tomorrow
):
    zone = zoneinfo.ZoneInfo(facility.timezone)
    day = tomorrow + dt.timedelta(days=7)
    services.add_block(
        actor=admin,
        facility=facility,
        kind="holiday",
        starts_at=dt.datetime.combine(day, dt.time(0), tzinfo=zone),
        ends_at=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
        reason="Public holiday",
    )
    schedule = services.add_schedule(
        actor=admin,
        practitioner=practitioner,
        weekday=day.weekday(),
        starts_at=dt.time(14),
        ends_at=dt.time(15),
        slot_minutes=30,
        valid_from=tomorrow,
    )
    by_day = {s.starts_at.astimezone(zone).date(): s.blocked_reason for s in schedule.slots.all()}
    assert by_day[day] == "Public holiday: Public holiday"
    assert by_day[tomorrow] == ""


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2027, 3, 28), 3),  # London's clocks go forward at 01:00: a 3-hour night
        (dt.date(2027, 10, 31), 5),  # and back at 02:00: a 5-hour night
        (dt.date(2027, 6, 6), 4),
    ],
)
def test_a_night_session_keeps_its_real_length_across_a_clock_change(day, expected):
    london = zoneinfo.ZoneInfo("Europe/London")
    found = _intervals(day, dt.time(0), dt.time(4), 60, [], london)
    assert len(found) == expected
    assert all(end - start == dt.timedelta(hours=1) for start, end in found)
    assert found[0][0] == dt.datetime.combine(day, dt.time(0), tzinfo=london)


def test_the_horizon_moves_forward_with_the_days(schedule, tomorrow):
    before = Slot.objects.filter(schedule=schedule).count()
    created = services.extend_horizons(today=tomorrow + dt.timedelta(days=14))
    assert created == 2 * 15  # two more weekly sessions of 15 bookable slots
    assert Slot.objects.filter(schedule=schedule).count() == before + created
    assert services.extend_horizons(today=tomorrow + dt.timedelta(days=14)) == 0
