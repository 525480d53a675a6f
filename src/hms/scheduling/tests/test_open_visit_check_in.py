"""A patient already in today's queue (a walk-in) who then shows up for their
appointment: the check-in warns and offers to join the open visit, never issuing a second
ticket silently; service, REST and page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from hms.core.models import Department
from hms.encounters.errors import OpenVisit
from hms.encounters.models import Encounter
from hms.scheduling import queue, services
from hms.scheduling.models import Appointment, QueueTicket

pytestmark = pytest.mark.django_db


@pytest.fixture
def opd(facility, practitioner) -> Department:
    department = Department.objects.get(facility=facility, code="OPD")
    practitioner.department = department
    practitioner.save()
    return department


@pytest.fixture
def clinic_day(slot, opd):
    with time_machine.travel(slot.starts_at - dt.timedelta(minutes=30), tick=True):
        yield


@pytest.fixture
def appointment(receptionist, patient, slot) -> Appointment:
    return services.book_appointment(actor=receptionist, patient=patient, slot=slot)


@pytest.fixture
def walked_in(receptionist, patient, opd, clinic_day) -> QueueTicket:
    """The patient came early and joined the queue for whoever calls next."""
    return queue.walk_in(actor=receptionist, patient=patient, department=opd)


def test_check_in_without_an_open_visit_issues_a_ticket(receptionist, appointment, clinic_day):
    ticket = queue.check_in(actor=receptionist, appointment=appointment)
    assert ticket.appointment == appointment
    assert QueueTicket.objects.count() == 1


def test_check_in_with_an_open_visit_is_refused_naming_it(receptionist, appointment, walked_in):
    with pytest.raises(OpenVisit) as refused:
        queue.check_in(actor=receptionist, appointment=appointment)

    assert refused.value.status == 409
    assert refused.value.encounter == walked_in.encounter
    assert refused.value.as_dict()["open_visit"]["encounter"] == str(
        walked_in.encounter.external_id
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert QueueTicket.objects.count() == 1
    assert Encounter.objects.count() == 1


def test_attaching_joins_the_open_visit_and_its_ticket(
    receptionist, appointment, walked_in, practitioner
):
    ticket = queue.check_in(actor=receptionist, appointment=appointment, attach_to_open_visit=True)

    assert ticket.pk == walked_in.pk
    assert QueueTicket.objects.count() == 1
    assert Encounter.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.appointment == appointment
    assert ticket.practitioner == practitioner  # now waits for the booked doctor
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert appointment.checked_in_at == walked_in.encounter.arrived_at


def test_attach_without_an_open_visit_checks_in_as_usual(receptionist, appointment, clinic_day):
    ticket = queue.check_in(actor=receptionist, appointment=appointment, attach_to_open_visit=True)
    assert ticket.appointment == appointment
    assert Encounter.objects.get().practitioner == appointment.practitioner


def test_a_second_walk_in_is_refused(receptionist, patient, opd, walked_in):
    with pytest.raises(OpenVisit):
        queue.walk_in(actor=receptionist, patient=patient, department=opd)
    assert QueueTicket.objects.count() == 1


def test_a_visit_left_open_yesterday_does_not_hold_up_today(
    receptionist, patient, opd, appointment, slot
):
    with time_machine.travel(slot.starts_at - dt.timedelta(days=1), tick=True):
        queue.walk_in(actor=receptionist, patient=patient, department=opd)
    with time_machine.travel(slot.starts_at - dt.timedelta(minutes=30), tick=True):
        ticket = queue.check_in(actor=receptionist, appointment=appointment)
    assert ticket.appointment == appointment
    assert QueueTicket.objects.count() == 2


def test_rest_answers_409_with_the_open_visit_then_attaches(api_client_for, appointment, walked_in):
    desk = api_client_for("receptionist")
    url = f"/api/v1/appointments/{appointment.external_id}/check-in/"

    refused = desk.post(url, {}, format="json")
    assert refused.status_code == 409, refused.json()
    body = refused.json()
    assert body["code"] == "OPEN_VISIT"
    assert body["open_visit"]["encounter"] == str(walked_in.encounter.external_id)
    assert QueueTicket.objects.count() == 1

    assert desk.post(url, {"attach_to_open_visit": "yes"}, format="json").status_code == 400
    attached = desk.post(url, {"attach_to_open_visit": True}, format="json")
    assert attached.status_code == 201, attached.json()
    assert attached.json()["label"] == walked_in.label
    assert attached.json()["appointment"] == str(appointment.external_id)
    assert QueueTicket.objects.count() == 1


def test_the_desk_page_asks_before_attaching(client_for, appointment, walked_in):
    desk = client_for("receptionist")
    url = f"/appointments/{appointment.external_id}/check-in/"

    asked = desk.post(url, {"back": "/queue/desk/"})
    assert asked.status_code == 409
    page = asked.content.decode()
    assert "already has an open visit today" in page
    assert walked_in.label in page
    assert 'name="attach_to_open_visit"' in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED

    attached = desk.post(url, {"back": "/queue/desk/", "attach_to_open_visit": "1"})
    assert attached.status_code == 302
    assert QueueTicket.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
