"""Every page fits a 390 px phone: opened as each role who may see it (the pages of the
role x URL matrix that answer that role 200, filled with its fixture rows), none scrolls
sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from hms.accounts.permissions import RoleCode
from hms.web.tests.test_role_url_matrix import (  # noqa: F401  (real_ids is a fixture)
    PAGE,
    URL_TABLE,
    real_ids,
    tabled_routes,
    url_for,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

PHONE = {"width": 390, "height": 844}
STAFF_ROLES = [role.value for role in RoleCode if role != RoleCode.PATIENT]
# The pages the front desk, the clinic and the office use all day, kept as screenshots.
KEY_PAGES = {
    "queue:desk",
    "appointments:calendar",
    "appointments:directory",
    "appointments:waitlist",
    "appointments:sessions",
    "accounts:user-list",
    "billing:shift",
    "audit:search",
    "billing_reports:index",
}
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const over = (e) => e.getBoundingClientRect().right > root.clientWidth + 1;
  // The innermost elements that stick out: the ones to fix.
  const wide = [...document.body.querySelectorAll("*")]
    .filter((e) => over(e) && ![...e.children].some(over))
    .map((e) => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
  return `${root.scrollWidth} > ${root.clientWidth}: ${wide.slice(0, 4).join(", ")}`;
}"""


@pytest.fixture
def busy_clinic(facility, make_user) -> list[str]:
    """A doctor with a long name and tomorrow's full morning in outpatients, a waitlist,
    and the day view and directory that show them; returns those pages' paths."""
    import datetime as dt

    from django.utils import timezone

    from hms.core.models import Department
    from hms.patients.testing import registered
    from hms.scheduling import services
    from hms.scheduling.models import Slot
    from hms.scheduling.times import zone_of
    from hms.staff.models import Practitioner

    admin, desk = make_user("admin"), make_user("receptionist")
    doctor = Practitioner.objects.create(
        facility=facility,
        title="Dr",
        given_name="Wanjiru Nyambura Akinyi",
        family_name="Kamau-Odhiambo",
        search_name="kamau",
        department=Department.objects.get(facility=facility, code="OPD"),
    )
    room = services.add_room(actor=admin, facility=facility, code="R9", name="Consulting room 9")
    tomorrow = timezone.localdate(timezone=zone_of(facility)) + dt.timedelta(days=1)
    schedule = services.add_schedule(
        actor=admin,
        practitioner=doctor,
        room=room,
        weekday=tomorrow.weekday(),
        starts_at=dt.time(8),
        ends_at=dt.time(12),
        slot_minutes=15,
        valid_from=tomorrow,
    )
    for n, slot in enumerate(Slot.objects.filter(schedule=schedule).order_by("starts_at")[:6]):
        patient = registered(facility, given_name=f"Mwanaisha{n}", family_name="Abdallah-Mohamed")
        services.book_appointment(
            actor=desk, patient=patient, slot=slot, reason="Follow-up of a long-standing cough"
        )
    day = f"/appointments/?show=doctor:{doctor.external_id}&date={tomorrow.isoformat()}"
    return [day, f"{day}&span=week", "/appointments/doctors/"]


def pages_for(role: str) -> list:
    return [
        route
        for route in tabled_routes()
        if URL_TABLE[route.key].door == PAGE
        and URL_TABLE[route.key].expected(role) == 200
        and not route.key.startswith("admin:")
    ]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_no_page_scrolls_sideways_on_a_phone(page, sign_in_as, site, real_ids, role, screenshot):  # noqa: F811
    sign_in_as(role)
    page.set_viewport_size(PHONE)
    wide, opened = [], 0
    for route in pages_for(role):
        url = site(url_for(route, real_ids))
        if "text/html" not in page.request.get(url).headers.get("content-type", ""):
            continue  # a photo, a PDF, a download: not a page
        page.goto(url)
        opened += 1
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            wide.append(f"{route.key}: {overflow}")
        if route.key in KEY_PAGES:
            screenshot(f"phone-{route.key.replace(':', '-')}-{role}")
    assert opened > 0
    assert wide == [], "\n".join(wide)


def test_a_busy_clinic_fits_a_phone(page, sign_in_as, site, busy_clinic, screenshot):
    sign_in_as("receptionist")
    page.set_viewport_size(PHONE)
    wide = []
    for path in busy_clinic:
        page.goto(site(path))
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            wide.append(f"{path}: {overflow}")
    page.goto(site(busy_clinic[0]))
    screenshot("phone-busy-day-view")
    assert wide == [], "\n".join(wide)


def test_the_check_catches_a_page_that_is_too_wide(page, site):
    page.set_viewport_size(PHONE)
    page.goto(site("/accounts/login/"))
    assert page.evaluate(OVERFLOW) is None
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('pre'), "
        "{textContent: 'x'.repeat(400)}))"
    )
    assert page.evaluate(OVERFLOW) is not None
