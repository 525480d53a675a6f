"""The check-in desk, walk-ins from the patient page, the token slip, and the doctor's
worklist: call next to the room, finish, left without being seen."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from hms.core.models import Department
from hms.encounters.models import Encounter
from hms.patients.testing import registered
from hms.scheduling import queue, services
from hms.scheduling.models import QueueTicket, Slot

pytestmark = pytest.mark.django_db
DESK, WORKLIST, CALL = "/queue/desk/", "/queue/worklist/", "/queue/worklist/call-next/"


@pytest.fixture
def opd(facility, practitioner) -> Department:
    department = Department.objects.get(facility=facility, code="OPD")
    practitioner.department = department
    practitioner.save()
    return department


@pytest.fixture
def on_the_day(schedule, opd):
    first = Slot.objects.filter(schedule=schedule).order_by("starts_at").first()
    with time_machine.travel(first.starts_at - dt.timedelta(minutes=30), tick=True):
        yield first


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


@pytest.fixture
def doctor_user(make_user, practitioner):
    user = make_user("doctor")
    practitioner.user = user
    practitioner.save()
    return user


@pytest.fixture
def doctor(doctor_user):
    from django.test import Client

    from hms.accounts.testing import verified_session

    return verified_session(Client(), doctor_user)


def walk_in_url(patient) -> str:
    return reverse("queue:walk-in", args=[patient.external_id])


def test_the_desk_lists_todays_appointments_with_check_in(on_the_day, clerk, receptionist, patient):
    appointment = services.book_appointment(actor=receptionist, patient=patient, slot=on_the_day)

    html = clerk.get(DESK).content.decode()

    assert "Check-in desk" in html
    assert "Juma Otieno" in html
    assert f"/appointments/{appointment.external_id}/check-in/" in html


def test_a_walk_in_takes_a_ticket_in_the_desks_department(clerk, patient, opd):
    response = clerk.post(walk_in_url(patient), {"department": ""})

    ticket = QueueTicket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("queue:ticket-slip", args=[ticket.pk])
    assert (ticket.department, ticket.encounter.patient, ticket.number) == (opd, patient, 1)
    slip = clerk.get(response["Location"]).content.decode()
    assert ">OPD-001<" in slip
    assert "You are next" in slip
    assert "Print slip" in slip


def test_the_desks_department_is_remembered(clerk, facility, patient, opd):
    paed = Department.objects.create(facility=facility, code="PAED", name="Paeds", kind="opd")

    clerk.get(DESK, {"department": "PAED"})
    clerk.post(walk_in_url(patient))

    assert QueueTicket.objects.get().department == paed


@pytest.mark.parametrize(
    "data",
    [{"department": "NOPE"}, {"department": "<b>"}, {"priority": "9"}, {"department": "O\x00"}],
)
def test_a_hostile_walk_in_issues_nothing(clerk, patient, opd, data):
    response = clerk.post(walk_in_url(patient), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:patient-detail", args=[patient.external_id])
    assert not QueueTicket.objects.exists()
    assert not Encounter.objects.exists()
    assert '<p class="msg error">' in clerk.get(response["Location"]).content.decode()


def test_an_unknown_department_on_the_desk_is_a_400(clerk, opd):
    response = clerk.get(DESK, {"department": "NOPE"})

    assert response.status_code == 400
    assert "No such department here" in response.content.decode()


def test_another_facilitys_ticket_slip_is_not_found(clerk, other_facility, make_user):
    department = Department.objects.create(
        facility=other_facility, code="OPD", name="Theirs", kind="opd"
    )
    desk = make_user("receptionist", at=other_facility)
    ticket = queue.walk_in(actor=desk, patient=registered(other_facility), department=department)

    assert clerk.get(reverse("queue:ticket-slip", args=[ticket.pk])).status_code == 404


def test_roles_without_check_in_are_refused(client_for, patient, opd):
    pharmacist = client_for("pharmacist")

    assert pharmacist.get(DESK).status_code == 403
    assert pharmacist.post(walk_in_url(patient)).status_code == 403
    assert not QueueTicket.objects.exists()


def test_the_worklist_shows_the_doctors_queue_with_waiting_times(
    doctor, receptionist, patient, opd
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False):
        queue.walk_in(actor=receptionist, patient=patient, department=opd)
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 25, tzinfo=dt.UTC), tick=False):
        html = doctor.get(WORKLIST).content.decode()

    assert "Dr Amina Hassan" in html
    assert "OPD-001" in html
    assert "25 min" in html
    assert "Left without being seen" in html


def test_call_next_calls_to_the_room_and_the_screen_shows_it(
    on_the_day, doctor, receptionist, patient, opd, facility, practitioner
):
    queue.walk_in(actor=receptionist, patient=patient, department=opd)

    response = doctor.post(CALL, {"doctor": str(practitioner.external_id), "called_to": ""})

    ticket = QueueTicket.objects.get()
    assert response.status_code == 302
    assert (ticket.status, ticket.called_to) == ("called", "Consulting room 3")
    assert (
        "Called OPD-001, Juma Otieno to Consulting room 3."
        in doctor.get(response["Location"]).content.decode()
    )
    screen = doctor.get(reverse("queue:waiting-room", args=[facility.code, "OPD"])).content
    assert "Consulting room 3" in screen.decode()


def test_finish_and_left_without_being_seen(
    on_the_day, doctor, receptionist, patient, facility, opd, practitioner
):
    queue.walk_in(actor=receptionist, patient=patient, department=opd)
    other = queue.walk_in(actor=receptionist, patient=registered(facility), department=opd)
    doctor.post(CALL, {"doctor": str(practitioner.external_id)})
    called = QueueTicket.objects.get(status="called")

    done = doctor.post(reverse("queue:ticket-finish", args=[called.pk]), {"back": WORKLIST})
    left = doctor.post(reverse("queue:ticket-finish", args=[other.pk]), {"left": "1"})

    assert (done.status_code, left.status_code) == (302, 302)
    called.refresh_from_db()
    other.refresh_from_db()
    assert (called.status, other.status) == ("done", "left")
    assert other.encounter.status == Encounter.Status.LEFT


def test_finishing_a_waiting_ticket_as_seen_is_refused(doctor, receptionist, patient, opd):
    ticket = queue.walk_in(actor=receptionist, patient=patient, department=opd)

    response = doctor.post(reverse("queue:ticket-finish", args=[ticket.pk]), {"left": "yes"})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == "waiting"
    assert "A visit that is arrived cannot become" in doctor.get(WORKLIST).content.decode()


def test_nobody_waiting_says_so(doctor, practitioner, opd):
    response = doctor.post(CALL, {"doctor": str(practitioner.external_id)}, follow=True)

    assert "Nobody is waiting." in response.content.decode()


@pytest.mark.parametrize("value", ["zzz", "00000000-0000-0000-0000-000000000000", "<b>"])
def test_an_unknown_doctor_is_a_400(doctor, value, opd):
    response = doctor.get(WORKLIST, {"doctor": value})

    assert response.status_code == 400
    assert "Doctor: no such doctor here." in response.content.decode()


def test_hostile_call_to_calls_nobody(doctor, receptionist, patient, opd, practitioner):
    queue.walk_in(actor=receptionist, patient=patient, department=opd)

    doctor.post(CALL, {"doctor": str(practitioner.external_id), "called_to": "R\x001"})

    assert QueueTicket.objects.get().status == "waiting"


def test_the_front_desk_cannot_run_the_clinic(clerk, practitioner, opd):
    assert clerk.get(WORKLIST).status_code == 403
    assert clerk.post(CALL, {"doctor": str(practitioner.external_id)}).status_code == 403
