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


def test_the_check_catches_a_page_that_is_too_wide(page, site):
    page.set_viewport_size(PHONE)
    page.goto(site("/accounts/login/"))
    assert page.evaluate(OVERFLOW) is None
    page.evaluate(
        "document.body.append(Object.assign(document.createElement('pre'), "
        "{textContent: 'x'.repeat(400)}))"
    )
    assert page.evaluate(OVERFLOW) is not None
