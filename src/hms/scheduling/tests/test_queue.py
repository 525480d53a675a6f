"""Check-in to the end of the visit: tickets numbered per department and day, priority
first, each step's time kept, and every step out of order refused."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.core.models import Department
from hms.encounters import services as visits
from hms.encounters.models import Encounter
from hms.patients.models import TimelineEntry
from hms.patients.testing import registered
from hms.scheduling import queue, services
from hms.scheduling.models import Appointment, QueueTicket, Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def opd(facility) -> Department:
    return Department.objects.get(facility=facility, code="OPD")


@pytest.fixture
def clinic_day(practitioner, opd, slot):
    """The morning of the slot's day, half an hour before the first slot."""
    practitioner.department = opd
    practitioner.save()
    with time_machine.travel(slot.starts_at - dt.timedelta(minutes=30), tick=True):
        yield


@pytest.fixture
def appointment(receptionist, patient, slot) -> Appointment:
    return services.book_appointment(actor=receptionist, patient=patient, slot=slot)


def test_check_in_opens_the_visit_and_issues_the_days_first_ticket(
    receptionist, appointment, clinic_day, opd
):
    ticket = queue.check_in(actor=receptionist, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert appointment.checked_in_at is not None
    assert (ticket.number, ticket.label, ticket.department) == (1, "OPD-001", opd)
    assert ticket.encounter.status == Encounter.Status.ARRIVED
    assert ticket.encounter.practitioner == appointment.practitioner
    assert TimelineEntry.objects.filter(summary__startswith="Arrived for a visit").exists()


def test_checking_in_twice_is_refused(receptionist, appointment, clinic_day):
    queue.check_in(actor=receptionist, appointment=appointment)
    with pytest.raises(Conflict) as refused:
        queue.check_in(actor=receptionist, appointment=appointment)
    assert refused.value.code == "CANNOT_CHECK_IN"
    assert QueueTicket.objects.count() == 1


def test_an_appointment_on_another_day_cannot_be_checked_in(
    receptionist, appointment, practitioner, opd
):
    practitioner.department = opd
    practitioner.save()
    with pytest.raises(Conflict) as refused:
        queue.check_in(actor=receptionist, appointment=appointment)  # it is tomorrow's
    assert "not today" in refused.value.message
    assert not Encounter.objects.exists()


def test_a_doctor_without_a_department_has_no_queue(receptionist, appointment, slot):
    with (
        time_machine.travel(slot.starts_at - dt.timedelta(minutes=30), tick=True),
        pytest.raises(InvalidInput) as refused,
    ):
        queue.check_in(actor=receptionist, appointment=appointment)
    assert refused.value.field == "appointment"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_the_doctor_calls_by_priority_then_arrival(
    receptionist, make_user, facility, appointment, clinic_day, opd, practitioner
):
    first = queue.check_in(actor=receptionist, appointment=appointment)
    walk_in = queue.walk_in(
        actor=receptionist, patient=registered(facility, given_name="Zawadi"), department=opd
    )
    urgent = queue.walk_in(
        actor=receptionist,
        patient=registered(facility, given_name="Baraka"),
        department=opd,
        priority=QueueTicket.Priority.PREGNANT,
    )
    assert [first.number, walk_in.number, urgent.number] == [1, 2, 3]
    doctor = make_user("doctor")
    called = [
        queue.call_next(actor=doctor, practitioner=practitioner, department=opd, called_to="Room 3")
        for _ in range(3)
    ]
    assert [t.number for t in called] == [3, 1, 2]
    assert queue.call_next(actor=doctor, practitioner=practitioner, department=opd) is None
    assert called[0].called_to == "Room 3"
    assert called[0].encounter.status == Encounter.Status.IN_CONSULTATION
    assert called[0].encounter.consultation_started_at is not None


def test_a_ticket_for_another_doctor_is_not_called(
    receptionist, make_user, facility, clinic_day, opd, practitioner
):
    from hms.staff.models import Practitioner

    other = Practitioner.objects.create(
        facility=facility, given_name="Peter", family_name="Kamau", search_name="peter kamau"
    )
    queue.walk_in(
        actor=receptionist,
        patient=registered(facility, given_name="Otieno"),
        department=opd,
        practitioner=other,
    )
    doctor = make_user("doctor")
    assert queue.call_next(actor=doctor, practitioner=practitioner, department=opd) is None


def test_finishing_the_visit_fulfils_the_appointment(
    receptionist, make_user, appointment, clinic_day, opd, practitioner
):
    queue.check_in(actor=receptionist, appointment=appointment)
    doctor = make_user("doctor")
    ticket = queue.call_next(actor=doctor, practitioner=practitioner, department=opd)
    queue.finish(actor=doctor, ticket=ticket)
    appointment.refresh_from_db()
    ticket.encounter.refresh_from_db()
    assert appointment.status == Appointment.Status.FULFILLED
    assert ticket.status == QueueTicket.Status.DONE
    assert ticket.encounter.status == Encounter.Status.FINISHED
    assert ticket.encounter.ended_at >= ticket.encounter.consultation_started_at
    with pytest.raises(Conflict):
        visits.move_visit(
            actor=doctor, encounter=ticket.encounter, to=Encounter.Status.IN_CONSULTATION
        )


def test_the_front_desk_records_a_patient_who_left_unseen(receptionist, appointment, clinic_day):
    ticket = queue.check_in(actor=receptionist, appointment=appointment)
    queue.finish(actor=receptionist, ticket=ticket, left=True)
    ticket.encounter.refresh_from_db()
    assert ticket.encounter.status == Encounter.Status.LEFT
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED


def test_a_receptionist_cannot_start_a_consultation(receptionist, appointment, clinic_day):
    ticket = queue.check_in(actor=receptionist, appointment=appointment)
    with pytest.raises(NotPermitted):
        visits.move_visit(
            actor=receptionist, encounter=ticket.encounter, to=Encounter.Status.IN_CONSULTATION
        )


def test_an_unknown_priority_leaves_nothing_behind(receptionist, facility, opd):
    with pytest.raises(InvalidInput) as refused:
        queue.walk_in(actor=receptionist, patient=registered(facility), department=opd, priority=9)
    assert refused.value.field == "priority"
    assert not Encounter.objects.exists()
    assert not QueueTicket.objects.exists()


def test_ticket_numbers_start_again_each_day(receptionist, facility, opd, slot):
    with time_machine.travel(slot.starts_at, tick=True):
        one = queue.walk_in(actor=receptionist, patient=registered(facility), department=opd)
    with time_machine.travel(slot.starts_at + dt.timedelta(days=1), tick=True):
        two = queue.walk_in(
            actor=receptionist, patient=registered(facility, given_name="Amani"), department=opd
        )
    assert (one.number, two.number) == (1, 1)
    assert Slot.objects.exists()
