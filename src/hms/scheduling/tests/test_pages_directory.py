"""The doctor directory page: search by name, specialty and language; a specialty's
doctors free soonest first; portraits added by directory managers only."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from hms.patients.tests.images import a_jpeg
from hms.staff.models import Practitioner, PractitionerPhoto

pytestmark = pytest.mark.django_db

DIRECTORY = "/appointments/doctors/"


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


@pytest.fixture
def busier(facility, specialty):
    """Dr Neema Kariuki, paediatrics too, with no sessions: never free."""
    doctor = Practitioner.objects.create(
        facility=facility,
        title="Dr",
        given_name="Neema",
        family_name="Kariuki",
        search_name="neema kariuki",
        languages=["en"],
    )
    doctor.specialties.add(specialty)
    return doctor


def test_a_specialty_lists_its_doctors_free_soonest_first(clerk, schedule, busier, slot):
    html = clerk.get(DIRECTORY, {"specialty": "PAED"}).content.decode()
    assert html.index("Dr Amina Hassan") < html.index("Dr Neema Kariuki")
    assert f"{slot.starts_at:%H:%M}" in html or "none" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"q": "amin"}, "Amina Hassan", "Neema Kariuki"),
        ({"language": "sw"}, "Amina Hassan", "Neema Kariuki"),
    ],
)
def test_search_by_name_and_language(clerk, practitioner, busier, query, shown, hidden):
    html = clerk.get(DIRECTORY, query).content.decode()
    assert shown in html
    assert hidden not in html


@pytest.mark.parametrize(
    "query", [{"language": "'; DROP--"}, {"specialty": "<script>"}, {"q": "x" * 500}]
)
def test_hostile_searches_are_answered_with_a_message(clerk, practitioner, query):
    response = clerk.get(DIRECTORY, query)
    assert response.status_code == 400
    assert "<script>" not in response.content.decode()


def test_a_manager_adds_a_portrait_that_the_desk_then_sees(client_for, clerk, practitioner):
    upload = io.BytesIO(a_jpeg())
    upload.name = "amina.jpg"
    url = reverse("appointments:doctor-photo-upload", args=[practitioner.external_id])
    assert clerk.post(url, {"photo": upload}).status_code == 403
    upload.seek(0)
    assert client_for("admin").post(url, {"photo": upload}).status_code == 302
    assert PractitionerPhoto.objects.filter(practitioner=practitioner).exists()
    picture = clerk.get(reverse("appointments:doctor-photo", args=[practitioner.external_id]))
    assert (picture.status_code, picture["Content-Type"]) == (200, "image/jpeg")
    assert "<img" in clerk.get(DIRECTORY).content.decode()
