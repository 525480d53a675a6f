"""The waitlist: a freed slot goes to the first patient waiting for it, who takes it
or lets it pass to the next; offers lapse; bad requests are refused whole."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hms.core.errors import Conflict, InvalidInput
from hms.patients.models import TimelineEntry
from hms.patients.testing import registered
from hms.scheduling import services, waitlist
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import Appointment, WaitlistEntry

pytestmark = pytest.mark.django_db

Status = WaitlistEntry.Status


@pytest.fixture
def booked_slot(receptionist, patient, slot):
    """The 08:00 slot, full; the patient holding it may cancel."""
    return services.book_appointment(actor=receptionist, patient=patient, slot=slot)


@pytest.fixture
def first(facility):
    return registered(facility, given_name="Achieng", family_name="Otieno")


@pytest.fixture
def second(facility):
    return registered(facility, given_name="Baraka", family_name="Mwangi")


def wait(actor, patient, **whom):
    return waitlist.add_to_waitlist(actor=actor, patient=patient, **whom)


def cancel(actor, appointment):
    services.cancel_appointment(actor=actor, appointment=appointment, reason="Travelling")


def test_a_freed_slot_is_offered_to_the_first_patient_waiting(
    receptionist, practitioner, booked_slot, first, second, slot
):
    one = wait(receptionist, first, practitioner=practitioner, note="Prefers mornings")
    two = wait(receptionist, second, practitioner=practitioner)
    cancel(receptionist, booked_slot)
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.offered_slot_id) == (Status.OFFERED, slot.pk)
    assert one.offer_expires_at > timezone.now()
    assert two.status == Status.WAITING
    offered = TimelineEntry.objects.get(patient=first, source__startswith="waitlist:")
    assert offered.summary.startswith("Offered a freed slot:")


def test_a_patient_waiting_for_the_specialty_is_offered_it(
    receptionist, specialty, booked_slot, first, slot
):
    entry = wait(receptionist, first, specialty=specialty)
    cancel(receptionist, booked_slot)
    entry.refresh_from_db()
    assert entry.offered_slot_id == slot.pk


def test_taking_the_offer_books_the_slot(receptionist, practitioner, booked_slot, first, slot):
    entry = wait(receptionist, first, practitioner=practitioner, kind="follow_up")
    cancel(receptionist, booked_slot)
    appointment = waitlist.accept_offer(actor=receptionist, entry=entry)
    entry.refresh_from_db()
    slot.refresh_from_db()
    assert (appointment.patient, appointment.slot, appointment.kind) == (first, slot, "follow_up")
    assert (entry.status, entry.appointment) == (Status.BOOKED, appointment)
    assert slot.booked == 1


def test_an_offer_taken_by_someone_else_meanwhile_sends_the_patient_back_to_waiting(
    receptionist, practitioner, booked_slot, first, facility, slot
):
    entry = wait(receptionist, first, practitioner=practitioner)
    cancel(receptionist, booked_slot)
    services.book_appointment(actor=receptionist, patient=registered(facility), slot=slot)
    with pytest.raises(SlotTaken):
        waitlist.accept_offer(actor=receptionist, entry=entry)
    entry.refresh_from_db()
    assert (entry.status, entry.passed_slots) == (Status.WAITING, [slot.pk])
    assert not Appointment.objects.filter(patient=first).exists()


def test_letting_it_pass_offers_it_to_the_next(
    receptionist, practitioner, booked_slot, first, second, slot
):
    one = wait(receptionist, first, practitioner=practitioner)
    two = wait(receptionist, second, practitioner=practitioner)
    cancel(receptionist, booked_slot)
    assert waitlist.decline_offer(actor=receptionist, entry=one) == two
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, one.passed_slots) == (Status.WAITING, [slot.pk])
    assert (two.status, two.offered_slot_id) == (Status.OFFERED, slot.pk)


def test_an_offer_not_taken_in_time_lapses_to_the_next(
    receptionist, practitioner, booked_slot, first, second, slot
):
    one = wait(receptionist, first, practitioner=practitioner)
    two = wait(receptionist, second, practitioner=practitioner)
    cancel(receptionist, booked_slot)
    assert waitlist.lapse_offers(now=timezone.now() + dt.timedelta(hours=3)) == 1
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == Status.WAITING
    assert two.offered_slot_id == slot.pk
    with pytest.raises(Conflict):
        waitlist.accept_offer(actor=receptionist, entry=one)


def test_a_patient_who_cannot_come_that_day_is_not_offered_it(
    receptionist, practitioner, booked_slot, first, tomorrow
):
    entry = wait(
        receptionist, first, practitioner=practitioner, earliest=tomorrow + dt.timedelta(days=2)
    )
    cancel(receptionist, booked_slot)
    entry.refresh_from_db()
    assert entry.status == Status.WAITING


@pytest.mark.parametrize(
    ("whom", "field"),
    [
        ({}, "practitioner"),
        ({"latest": dt.date(2000, 1, 1)}, "latest"),
        ({"kind": "séance"}, "kind"),
        ({"note": "x" * 5000}, "note"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(receptionist, practitioner, first, whom, field):
    if whom:
        whom = {"practitioner": practitioner, **whom}
    with pytest.raises(InvalidInput) as refused:
        wait(receptionist, first, **whom)
    assert refused.value.field == field
    assert not WaitlistEntry.objects.exists()


def test_a_patient_waits_once_for_the_same_doctor(receptionist, practitioner, first):
    wait(receptionist, first, practitioner=practitioner)
    with pytest.raises(Conflict):
        wait(receptionist, first, practitioner=practitioner)
    assert WaitlistEntry.objects.count() == 1


def test_the_waitlist_over_the_api(api_client_for, practitioner, booked_slot, first, slot):
    desk = api_client_for("receptionist")
    body = {"patient": str(first.external_id), "practitioner": str(practitioner.external_id)}
    created = desk.post("/api/v1/waitlist/", body, format="json")
    assert created.status_code == 201, created.json()
    entry = created.json()
    assert entry["status"] == "waiting"
    cancelled = desk.post(
        f"/api/v1/appointments/{booked_slot.external_id}/cancel/", {"reason": "Away"}, format="json"
    )
    assert cancelled.status_code == 200
    listed = desk.get("/api/v1/waitlist/", {"status": "offered"}).json()
    assert [(e["id"], e["offered_slot"]["id"]) for e in listed] == [(entry["id"], slot.pk)]
    accepted = desk.post(f"/api/v1/waitlist/{entry['id']}/accept/")
    assert accepted.status_code == 201
    assert accepted.json()["slot"] == slot.pk


@pytest.mark.parametrize(
    "body",
    [
        {"practitioner": "not-a-uuid"},
        {"specialty": "NOPE"},
        {"earliest": "2026-02-30"},
        {"note": "'; DROP TABLE scheduling_waitlistentry; --\x00"},
        {"latest": 12},
    ],
)
def test_hostile_api_input_is_400_and_saves_nothing(api_client_for, first, body):
    desk = api_client_for("receptionist")
    response = desk.post(
        "/api/v1/waitlist/", {"patient": str(first.external_id), **body}, format="json"
    )
    assert response.status_code in (400, 404)
    assert not WaitlistEntry.objects.exists()
