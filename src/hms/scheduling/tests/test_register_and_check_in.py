"""A new walk-in registered and put in the queue in one step: the service (both or
neither) and the walk-in form's "Register and check in" button."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.core.errors import InvalidInput, NotPermitted
from hms.core.models import Department, Facility
from hms.encounters.models import Encounter
from hms.patients.inputs import PatientInput
from hms.patients.models import Patient
from hms.scheduling import queue
from hms.scheduling.models import QueueTicket

pytestmark = pytest.mark.django_db

AMINA = PatientInput(
    given_name="Amina",
    family_name="Okoth",
    sex="female",
    birth_date=dt.date(1990, 4, 12),
    phone="0712345678",
)
FORM = {"name": "amina okoth", "sex": "female", "birth": "12/04/1990", "phone": "0712345678"}


@pytest.fixture
def opd(facility) -> Department:
    return Department.objects.get(facility=facility, code="OPD")


def test_the_walk_in_is_registered_and_gets_a_ticket(receptionist, facility, opd):
    ticket = queue.register_and_check_in(
        actor=receptionist, facility=facility, data=AMINA, department=opd
    )

    patient = Patient.objects.get()
    assert ticket.encounter.patient == patient
    assert (ticket.label, ticket.status) == ("OPD-001", QueueTicket.Status.WAITING)


def test_nothing_is_saved_when_the_check_in_is_refused(receptionist, facility):
    # A department of another facility: the registration is written, then the visit refused.
    elsewhere = Facility.objects.create(name="Other clinic", code="OTH")
    department = Department.objects.create(facility=elsewhere, code="OPD", name="Outpatients")

    with pytest.raises(InvalidInput) as refused:
        queue.register_and_check_in(
            actor=receptionist, facility=facility, data=AMINA, department=department
        )

    assert refused.value.field == "department"
    assert Patient.objects.count() == 0
    assert Encounter.objects.count() == 0


def test_a_role_that_cannot_register_gets_nothing(make_user, facility, opd):
    with pytest.raises(NotPermitted):
        queue.register_and_check_in(
            actor=make_user("cashier"), facility=facility, data=AMINA, department=opd
        )
    assert Patient.objects.count() == 0


def test_the_button_registers_checks_in_and_opens_the_slip(client_for, opd):
    desk = client_for("receptionist")
    form = desk.get("/patients/new/?q=amina okoth").content.decode()
    assert "Register and check in" in form
    assert form.index("Register and check in") < form.index(">Register<")  # Enter presses it

    response = desk.post("/queue/walk-in/new/", FORM)

    ticket = QueueTicket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/queue/tickets/{ticket.pk}/slip/"
    assert ticket.encounter.patient.full_name == "Amina Okoth"
    slip = desk.get(response["Location"]).content.decode()
    assert "Checked in: ticket OPD-001" in slip


def test_bad_input_goes_back_to_the_form_and_saves_nothing(client_for, opd):
    desk = client_for("receptionist")

    response = desk.post("/queue/walk-in/new/", {**FORM, "phone": "", "birth": "31/02/1990"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "There is no such date" in html
    assert "Give a phone number, or say why there is none." in html
    assert Patient.objects.count() == 0
    assert QueueTicket.objects.count() == 0


def test_without_a_phone_the_reason_is_enough(client_for, opd):
    desk = client_for("receptionist")

    response = desk.post(
        "/queue/walk-in/new/", {**FORM, "phone": "", "no_phone_reason": "no_phone"}
    )

    assert response.status_code == 302
    assert QueueTicket.objects.count() == 1


def test_after_a_refusal_the_plain_register_button_still_only_registers(client_for, opd):
    desk = client_for("receptionist")
    refused = desk.post("/queue/walk-in/new/", {**FORM, "phone": ""}).content.decode()
    assert 'action="/patients/new/"' in refused

    desk.post("/patients/new/", FORM)

    assert Patient.objects.count() == 1
    assert QueueTicket.objects.count() == 0
