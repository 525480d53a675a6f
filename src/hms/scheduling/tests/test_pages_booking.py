"""Booking from the patient page: the first free slot preselected, the doctor found as
you type, a taken slot answered with the next free ones, every refusal on the form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from hms.patients.testing import registered
from hms.scheduling import services
from hms.scheduling.models import Appointment, Slot

pytestmark = pytest.mark.django_db


def book_url(patient) -> str:
    return reverse("appointments:book", args=[patient.external_id])


def checked_slot(html: str) -> str | None:
    found = re.search(r'name="slot" value="(\d+)" checked', html)
    return found.group(1) if found else None


def slot_errors(html: str) -> list[str]:
    block = html.split('class="choices slots', 1)[1].split("</fieldset>", 1)[0]
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', block)


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


@pytest.fixture
def slots(schedule) -> list[Slot]:
    """Tomorrow's slots open to the front desk, in time order."""
    return list(Slot.objects.filter(schedule=schedule, is_emergency=False).order_by("starts_at"))


def test_the_booking_page_preselects_the_first_free_slot(clerk, patient, slots):
    response = clerk.get(book_url(patient))

    html = response.content.decode()
    assert response.status_code == 200
    assert checked_slot(html) == str(slots[0].pk)
    assert html.count('name="slot"') == 10  # the next free slots as choices
    assert '<option value="new" selected>' in html  # never seen here: a new patient
    assert "Any doctor" in html
    assert "Did not attend" not in html


def test_booking_with_one_button_books_the_slot(clerk, patient, slots):
    response = clerk.post(
        book_url(patient), {"slot": slots[0].pk, "kind": "new", "choice": "", "who": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:patient-detail", args=[patient.external_id])
    appointment = Appointment.objects.get(patient=patient)
    assert (appointment.slot, appointment.status, appointment.kind) == (slots[0], "booked", "new")
    slots[0].refresh_from_db()
    assert slots[0].booked == 1
    page = clerk.get(response["Location"]).content.decode()
    assert "Booked Juma Otieno:" in page


def test_a_taken_slot_shows_the_message_and_the_next_free_slots(
    clerk, patient, slots, receptionist, facility
):
    # given another patient took the first slot a moment ago
    services.book_appointment(
        actor=receptionist, patient=registered(facility, given_name="Neema"), slot=slots[0]
    )

    # when the clerk books it from the page still showing it
    response = clerk.post(book_url(patient), {"slot": slots[0].pk, "kind": "new"})

    # then the slot is refused, the next free ones are offered, and nothing is booked
    html = response.content.decode()
    assert response.status_code == 409
    assert slot_errors(html) == ["That slot was just taken. Choose one of the next free slots."]
    assert checked_slot(html) == str(slots[1].pk)
    assert f'value="{slots[0].pk}"' not in html
    assert not Appointment.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slot": "abc", "kind": "new"}, "slot", "Enter a whole number."),
        ({"slot": "", "kind": "new"}, "slot", "Choose a slot."),
        ({"slot": "999999", "kind": "new"}, "slot", "That slot is not offered here"),
        ({"slot": "-1", "kind": "new"}, "slot", "Ensure this value is greater than"),
        ({"kind": "bogus"}, "kind", "Select a valid choice."),
        ({"kind": "new", "reason": "a\x00b"}, "reason", "control character"),
        ({"kind": "new", "reason": "x" * 301}, "reason", "at most 300 characters"),
        ({"kind": "new", "choice": "p:<script>"}, "choice", "Choose a doctor or a specialty"),
        ({"kind": "new", "from_date": "31/02/2026"}, "from_date", "Enter a date as dd/mm/yyyy"),
    ],
)
def test_hostile_input_is_a_form_error_and_nothing_is_booked(
    clerk, patient, slots, data, field, message
):
    data = {"slot": slots[0].pk, **data}

    response = clerk.post(book_url(patient), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "<script>" not in html.split("<main", 1)[1]
    assert not Appointment.objects.filter(patient=patient).exists()
    assert Slot.objects.filter(booked__gt=0).count() == 0


def test_a_service_refusal_names_its_field(clerk, facility, slots, receptionist):
    # given a patient who died after the page was opened
    patient = registered(facility)
    patient.is_deceased = True
    patient.save()

    response = clerk.post(book_url(patient), {"slot": slots[0].pk, "kind": "new"})

    assert response.status_code == 400
    assert "The patient is recorded as deceased." in response.content.decode()
    assert not Appointment.objects.exists()


def test_an_emergency_slot_is_refused_on_the_form(clerk, patient, schedule):
    held = Slot.objects.filter(schedule=schedule, is_emergency=True).order_by("starts_at")[0]

    response = clerk.post(book_url(patient), {"slot": held.pk, "kind": "new"})

    assert response.status_code == 403
    assert "That slot is held for emergencies." in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_no_show_history_is_shown_when_the_patient_missed(clerk, patient, slots, receptionist):
    missed = services.book_appointment(actor=receptionist, patient=patient, slot=slots[0])
    services.mark_no_shows(now=missed.starts_at + dt.timedelta(hours=2))

    html = clerk.get(book_url(patient)).content.decode()

    assert "Did not attend 1 of the last 1 appointment" in html


def test_typing_a_name_offers_the_doctor_and_their_free_slots(clerk, patient, practitioner, slots):
    url = reverse("appointments:book-options", args=[patient.external_id])

    response = clerk.get(url, {"who": "amina ha"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="p:{practitioner.external_id}" checked' in html
    assert "Dr Amina Hassan" in html
    assert checked_slot(html) == str(slots[0].pk)


def test_typing_a_specialty_offers_it(clerk, patient, slots):
    url = reverse("appointments:book-options", args=[patient.external_id])

    html = clerk.get(url, {"who": "paed"}, HTTP_HX_REQUEST="true").content.decode()

    assert 'value="s:PAED"' in html
    assert "Paediatrics" in html


def test_nothing_matching_says_so(clerk, patient, slots):
    url = reverse("appointments:book-options", args=[patient.external_id])

    html = clerk.get(url, {"who": "zzzz"}, HTTP_HX_REQUEST="true").content.decode()

    assert "No doctor or specialty matches “zzzz”." in html


def test_the_slot_list_of_a_later_day(clerk, patient, slots):
    url = reverse("appointments:book-slots", args=[patient.external_id])
    week_later = (slots[0].starts_at + dt.timedelta(days=7)).date()

    html = clerk.get(url, {"choice": "", "from_date": week_later.isoformat()}).content.decode()

    first = Slot.objects.get(pk=checked_slot(html))
    assert first.starts_at.date() >= week_later


@pytest.mark.parametrize("choice", ["p:nope", "x:1", "s:" + "A" * 40, "s:a b"])
def test_a_malformed_choice_is_a_400(clerk, patient, choice):
    url = reverse("appointments:book-slots", args=[patient.external_id])

    response = clerk.get(url, {"choice": choice})

    assert response.status_code == 400
    assert "Choose a doctor or a specialty from the list." in response.content.decode()


def test_roles_without_booking_are_refused(client_for, patient, slots):
    pharmacist = client_for("pharmacist")

    assert pharmacist.get(book_url(patient)).status_code == 403
    assert (
        pharmacist.post(book_url(patient), {"slot": slots[0].pk, "kind": "new"}).status_code == 403
    )
    assert not Appointment.objects.exists()


def test_another_facilitys_patient_is_not_found(clerk, other_facility, slots):
    stranger = registered(other_facility)

    assert clerk.get(book_url(stranger)).status_code == 404


def test_the_patient_page_offers_booking_and_a_walk_in(clerk, client_for, patient):
    detail = reverse("patients:patient-detail", args=[patient.external_id])

    html = clerk.get(detail).content.decode()
    pharmacy = client_for("pharmacist").get(detail).content.decode()

    assert "Book appointment <kbd>b</kbd>" in html
    assert "Check in walk-in <kbd>i</kbd>" in html
    assert '<option value="OPD" selected>' in html
    assert "Book appointment" not in pharmacy
    assert "Check in walk-in" not in pharmacy
