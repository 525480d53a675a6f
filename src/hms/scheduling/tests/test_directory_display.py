"""The directory reads as people do: languages by name, the fee in the currency's
format, and a doctor without a portrait by their initials, not an empty cell."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hms.staff.models import Practitioner

pytestmark = pytest.mark.django_db


def test_a_doctor_shows_languages_by_name_fee_formatted_and_initials(client_for, facility):
    Practitioner.objects.create(
        facility=facility,
        title="Dr",
        given_name="Neema",
        family_name="Kariuki",
        search_name="neema kariuki",
        languages=["en", "sw-KE", "luo"],
        consultation_fee=Decimal("1500.50"),
    )

    html = client_for("receptionist").get("/appointments/doctors/").content.decode()

    assert "<td>English, Swahili (Kenya), Luo</td>" in html
    assert "1,500.50 KES" in html
    assert '<span class="initials" aria-hidden="true" data-testid="initials">NK</span>' in html
