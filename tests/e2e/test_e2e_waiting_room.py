"""The waiting-room screen on a TV: ticket numbers in large print, and a patient called
in appears without anyone reloading the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

TV = {"width": 1920, "height": 1080}


def test_the_screen_updates_itself_when_the_doctor_calls(
    page, site, make_user, facility, screenshot
):
    from hms.core.models import Department
    from hms.patients.testing import registered
    from hms.scheduling import queue
    from hms.staff.models import Practitioner

    opd = Department.objects.get(facility=facility, code="OPD")
    desk, doctor = make_user("receptionist"), make_user("doctor")
    fatuma = Practitioner.objects.create(
        facility=facility, given_name="Fatuma", family_name="Hassan", department=opd
    )
    for name in ("Zawadi", "Baraka", "Chebet"):
        queue.walk_in(actor=desk, patient=registered(facility, given_name=name), department=opd)

    page.set_viewport_size(TV)
    page.goto(site("/queue/RGH/OPD/screen/"))
    expect(page.get_by_role("heading", name="Waiting (3)")).to_be_visible()
    expect(page.get_by_text("Nobody called yet.")).to_be_visible()

    queue.call_next(actor=doctor, practitioner=fatuma, department=opd, called_to="Room 1")

    # Within a poll or two, without a reload.
    expect(page.locator(".called li.latest")).to_contain_text("OPD-001", timeout=10_000)
    expect(page.locator(".called li.latest")).to_contain_text("Room 1")
    expect(page.get_by_role("heading", name="Waiting (2)")).to_be_visible()
    assert "Zawadi" not in page.content()
    screenshot("20-waiting-room-screen")
