"""The waitlist pages: a patient put on it from the booking page, an offered slot booked
or let pass from the list, someone taken off with a reason; refusals as messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hms.patients.testing import registered
from hms.scheduling import services, waitlist
from hms.scheduling.models import Appointment, WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


def wait_url(patient) -> str:
    return reverse("appointments:waitlist-add", args=[patient.external_id])


def test_the_booking_page_puts_a_patient_on_the_waitlist(clerk, patient, practitioner, slot):
    response = clerk.post(
        wait_url(patient), {"choice": f"p:{practitioner.external_id}", "reason": "Mornings"}
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.practitioner, entry.note) == (practitioner, "Mornings")
    listed = clerk.get(reverse("appointments:waitlist")).content.decode()
    assert patient.full_name in listed
    assert "Mornings" in listed


@pytest.mark.parametrize("choice", ["", "p:not-a-uuid", "s:<script>", "x" * 500])
def test_a_waitlist_without_a_doctor_or_specialty_is_refused(clerk, patient, choice):
    response = clerk.post(wait_url(patient), {"choice": choice}, follow=True)
    assert response.status_code == 200
    assert not WaitlistEntry.objects.exists()
    assert 'class="msg error' in response.content.decode() or "error" in response.content.decode()


def test_an_offered_slot_is_booked_from_the_list(
    clerk, receptionist, patient, practitioner, slot, facility
):
    holder = registered(facility, given_name="Holder")
    held = services.book_appointment(actor=receptionist, patient=holder, slot=slot)
    entry = waitlist.add_to_waitlist(actor=receptionist, patient=patient, practitioner=practitioner)
    services.cancel_appointment(actor=receptionist, appointment=held, reason="Away")
    page = clerk.get(reverse("appointments:waitlist")).content.decode()
    assert "Offered" in page
    response = clerk.post(reverse("appointments:waitlist-accept", args=[entry.external_id]))
    assert response.status_code == 302
    assert Appointment.objects.get(patient=patient, status="booked").slot == slot


def test_removing_needs_a_reason(clerk, receptionist, patient, practitioner):
    entry = waitlist.add_to_waitlist(actor=receptionist, patient=patient, practitioner=practitioner)
    url = reverse("appointments:waitlist-remove", args=[entry.external_id])
    clerk.post(url, {"reason": ""})
    entry.refresh_from_db()
    assert entry.status == "waiting"
    clerk.post(url, {"reason": "Booked privately"})
    entry.refresh_from_db()
    assert entry.status == "removed"


def test_a_pharmacist_cannot_change_the_waitlist(client_for, receptionist, patient, practitioner):
    entry = waitlist.add_to_waitlist(actor=receptionist, patient=patient, practitioner=practitioner)
    pharmacist = client_for("pharmacist")
    url = reverse("appointments:waitlist-remove", args=[entry.external_id])
    assert pharmacist.post(url, {"reason": "x"}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == "waiting"
