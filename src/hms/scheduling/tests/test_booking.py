"""Booking, cancelling and moving appointments through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hms.audit.models import AuditEvent
from hms.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hms.patients.models import Patient, TimelineEntry
from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import Appointment, Slot

pytestmark = pytest.mark.django_db


def booked(slot: Slot) -> int:
    slot.refresh_from_db()
    return slot.booked


def test_booking_takes_the_place_and_goes_on_the_timeline_and_audit(receptionist, patient, slot):
    appointment = services.book_appointment(
        actor=receptionist, patient=patient, slot=slot, reason="Cough for two weeks"
    )
    assert booked(slot) == 1
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.kind == "new"
    assert (appointment.starts_at, appointment.practitioner_id) == (
        slot.starts_at,
        slot.practitioner_id,
    )
    entry = TimelineEntry.objects.get(patient=patient, kind="appointment")
    assert entry.summary.startswith("Appointment booked:")
    assert "Cough" not in entry.summary  # the reason stays with the clinic
    assert AuditEvent.objects.filter(
        action="create", object_id=str(appointment.external_id), patient_id=str(patient.external_id)
    ).exists()


def test_a_full_slot_answers_slot_taken_with_the_next_free_slots(
    receptionist, patient, slot, facility
):
    services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    other = registered(facility, given_name="Wanjiru")
    with pytest.raises(SlotTaken) as taken:
        services.book_appointment(actor=receptionist, patient=other, slot=slot)
    offered = taken.value.next_free
    assert taken.value.status == 409
    assert offered
    assert all(s.starts_at > slot.starts_at for s in offered)
    assert all(s.booked < s.capacity and not s.is_emergency for s in offered)
    assert booked(slot) == 1
    assert Appointment.objects.count() == 1


def test_a_slot_of_capacity_two_takes_two_different_patients_once_each(
    receptionist, patient, slot, facility
):
    Slot.objects.filter(pk=slot.pk).update(capacity=2)
    slot.refresh_from_db()
    services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    with pytest.raises(Conflict):
        services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    services.book_appointment(
        actor=receptionist, patient=registered(facility, given_name="Baraka"), slot=slot
    )
    assert booked(slot) == 2


def test_a_slot_that_has_started_is_refused(receptionist, patient, slot):
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=1),
        ends_at=timezone.now() + dt.timedelta(minutes=14),
    )
    slot.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    assert (refused.value.code, refused.value.field) == ("SLOT_IN_PAST", "slot")
    assert booked(slot) == 0


def test_a_blocked_slot_is_refused_with_its_reason(receptionist, patient, slot):
    Slot.objects.filter(pk=slot.pk).update(blocked_reason="Leave: Conference")
    with pytest.raises(Conflict) as refused:
        services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    assert refused.value.code == "SLOT_BLOCKED"
    assert "Conference" in refused.value.message


@pytest.mark.parametrize(
    "change",
    [{"is_deceased": True}, {"status": Patient.Status.ENTERED_IN_ERROR}],
)
def test_deceased_or_withdrawn_records_cannot_be_booked(receptionist, patient, slot, change):
    Patient.objects.filter(pk=patient.pk).update(**change)
    patient.refresh_from_db()
    with pytest.raises(InvalidInput) as refused:
        services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    assert (refused.value.code, refused.value.field) == ("PATIENT_NOT_BOOKABLE", "patient")
    assert booked(slot) == 0


def test_emergency_slots_are_for_those_who_may_give_them(
    receptionist, make_user, patient, schedule
):
    held = Slot.objects.filter(schedule=schedule, is_emergency=True).order_by("starts_at").first()
    with pytest.raises(NotPermitted):
        services.book_appointment(actor=receptionist, patient=patient, slot=held)
    services.book_appointment(actor=make_user("nurse"), patient=patient, slot=held)
    assert booked(held) == 1


def test_another_facilitys_staff_cannot_book(make_user, other_facility, patient, slot):
    with pytest.raises(NotFound):
        services.book_appointment(
            actor=make_user("receptionist", at=other_facility), patient=patient, slot=slot
        )


def test_staff_who_see_patients_but_do_not_book_are_refused(make_user, patient, slot):
    with pytest.raises(NotPermitted):
        services.book_appointment(actor=make_user("pharmacist"), patient=patient, slot=slot)


def test_staff_who_cannot_see_patients_are_told_there_is_no_such_patient(make_user, patient, slot):
    with pytest.raises(NotFound):
        services.book_appointment(actor=make_user("auditor"), patient=patient, slot=slot)


@pytest.mark.parametrize("reason", ["x" * 301, "tab\x07bell", 42])
def test_a_bad_reason_is_refused_and_nothing_is_booked(receptionist, patient, slot, reason):
    with pytest.raises(InvalidInput) as refused:
        services.book_appointment(actor=receptionist, patient=patient, slot=slot, reason=reason)
    assert refused.value.field == "reason"
    assert booked(slot) == 0
    assert not Appointment.objects.exists()


def test_cancelling_frees_the_place_and_needs_a_reason(receptionist, patient, slot):
    appointment = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    with pytest.raises(InvalidInput):
        services.cancel_appointment(actor=receptionist, appointment=appointment, reason="  ")
    cancelled = services.cancel_appointment(
        actor=receptionist, appointment=appointment, reason="Patient travelling"
    )
    assert cancelled.status == Appointment.Status.CANCELLED
    assert cancelled.cancel_reason == "Patient travelling"
    assert booked(slot) == 0
    assert TimelineEntry.objects.filter(summary__startswith="Appointment cancelled").exists()


@pytest.mark.parametrize(
    "status",
    [Appointment.Status.CANCELLED, Appointment.Status.ARRIVED, Appointment.Status.FULFILLED],
)
def test_only_a_booked_appointment_can_be_cancelled(receptionist, patient, slot, status):
    appointment = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    with pytest.raises(Conflict) as refused:
        services.cancel_appointment(actor=receptionist, appointment=appointment, reason="Oops")
    assert refused.value.code == "CANNOT_CANCEL"
    assert booked(slot) == 1


def test_rescheduling_moves_the_booking_in_one_step(receptionist, patient, slot, schedule):
    later = Slot.objects.filter(schedule=schedule).order_by("starts_at")[3]
    first = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    moved = services.reschedule_appointment(
        actor=receptionist, appointment=first, slot=later, reason="Asked for later"
    )
    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED
    assert moved.rescheduled_from == first
    assert moved.slot == later
    assert (booked(slot), booked(later)) == (0, 1)


def test_rescheduling_onto_a_full_slot_leaves_the_old_booking_alone(
    receptionist, patient, slot, schedule, facility
):
    later = Slot.objects.filter(schedule=schedule).order_by("starts_at")[3]
    services.book_appointment(
        actor=receptionist, patient=registered(facility, given_name="Imani"), slot=later
    )
    first = services.book_appointment(actor=receptionist, patient=patient, slot=slot)
    with pytest.raises(SlotTaken):
        services.reschedule_appointment(actor=receptionist, appointment=first, slot=later)
    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED
    assert (booked(slot), booked(later)) == (1, 1)
