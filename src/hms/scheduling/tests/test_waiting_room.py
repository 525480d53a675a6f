"""The waiting-room screen shows ticket numbers, never names, and refreshes itself."""

from __future__ import annotations

import pytest
from django.test import Client

from hms.core.models import Department
from hms.patients.testing import registered
from hms.scheduling import queue

pytestmark = pytest.mark.django_db

SCREEN = "/queue/RGH/OPD/screen/"


@pytest.fixture
def opd(facility) -> Department:
    return Department.objects.get(facility=facility, code="OPD")


def test_the_screen_shows_called_and_waiting_numbers_but_no_names(
    receptionist, make_user, facility, opd, practitioner
):
    for name in ("Zawadi", "Baraka", "Chebet"):
        queue.walk_in(
            actor=receptionist, patient=registered(facility, given_name=name), department=opd
        )
    queue.call_next(
        actor=make_user("doctor"), practitioner=practitioner, department=opd, called_to="Room 3"
    )

    page = Client().get(SCREEN)  # nobody signed in: it is a public screen

    html = page.content.decode()
    assert page.status_code == 200
    assert "OPD-001" in html
    assert "Room 3" in html
    assert "OPD-002" in html
    assert "OPD-003" in html
    assert "Waiting (2)" in html
    for name in ("Zawadi", "Baraka", "Chebet", "Otieno"):
        assert name not in html
    assert 'hx-trigger="every 3s"' in html


def test_htmx_polls_get_the_board_alone(receptionist, facility, opd):
    queue.walk_in(actor=receptionist, patient=registered(facility), department=opd)
    board = Client().get(SCREEN, headers={"HX-Request": "true"})
    html = board.content.decode()
    assert html.lstrip().startswith('<main id="board"')
    assert "OPD-001" in html
    assert "<html" not in html


@pytest.mark.parametrize(
    "path", ["/queue/RGH/NOPE/screen/", "/queue/NOPE/OPD/screen/", "/queue/RGH/OPD'--/screen/"]
)
def test_an_unknown_department_is_not_found(facility, path):
    assert Client().get(path).status_code == 404


def test_an_installation_may_show_the_called_patient_s_first_name_and_initial(
    receptionist, make_user, facility, opd, practitioner, settings
):
    settings.HMS_SCREEN_NAMES = "initials"
    for name in ("Zawadi", "Baraka"):
        queue.walk_in(
            actor=receptionist, patient=registered(facility, given_name=name), department=opd
        )
    queue.call_next(actor=make_user("doctor"), practitioner=practitioner, department=opd)
    html = Client().get(SCREEN).content.decode()
    assert "Zawadi O." in html  # called: first name and the family name's initial
    assert "Baraka" not in html  # waiting: a number only
    assert "Otieno" not in html
