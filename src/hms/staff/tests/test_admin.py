"""The admin's staff screens: specialties kept there; practitioners browsed, of the
administrator's facility only, and not edited there."""

from __future__ import annotations

import pytest

from hms.staff import services
from hms.staff.tests.conftest import an_entry

pytestmark = pytest.mark.django_db


def test_practitioners_are_listed_for_the_current_facility_only(
    client_for, make_user, other_facility, directory
):
    # given
    services.add_practitioner(
        actor=make_user("admin", at=other_facility),
        facility=other_facility,
        data=an_entry(given_name="Baraka", family_name="Otieno"),
    )

    # when
    page = client_for("admin").get("/admin/staff/practitioner/")

    # then
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hassan" in text
    assert "Otieno" not in text
    assert "Add practitioner" not in text


def test_a_practitioner_opens_read_only(client_for, directory):
    page = client_for("admin").get(f"/admin/staff/practitioner/{directory['amina'].pk}/change/")

    assert page.status_code == 200
    assert 'name="given_name"' not in page.content.decode()
