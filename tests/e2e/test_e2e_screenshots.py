"""Screenshots of the key pages, for a person to look at (tests/e2e/screenshots/, not committed).

The checks here are light (each page renders its heading, nothing overflows sideways on a
phone); the point is the pictures.
"""

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

PHONE = {"width": 390, "height": 844}


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_screenshots_of_the_key_pages(
    browser, page, sign_in, site, make_user, enrolled_device, totp_now, screenshot
):
    make_user("admin", username="amina")
    auditor = make_user("auditor", username="esther")
    make_user("receptionist", username="grace")
    device = enrolled_device(auditor)

    page.goto(site("/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in to hms")).to_be_visible()
    screenshot("01-sign-in")

    sign_in("amina")
    expect(page.get_by_role("heading", name="Set up two-factor login")).to_be_visible()
    screenshot("02-two-factor-enrolment")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code").fill(totp_now(secret))
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_test_id("recovery-codes")).to_be_visible()
    screenshot("03-recovery-codes")
    page.get_by_role("link", name="I have saved them — continue").click()

    expect(page).to_have_url(site("/"))
    screenshot("04-home-admin")

    page.goto(site("/accounts/users/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Users at")
    screenshot("05-users")

    page.locator("details.usermenu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in("esther")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    screenshot("06-two-factor-verify")
    page.get_by_label("Code").fill(totp_now(device.bin_key))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(site("/"))
    page.goto(site("/audit/"))
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    screenshot("07-audit-trail")

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        small = phone.new_page()
        small.goto(site("/accounts/login/"))
        expect(small.get_by_role("heading", name="Sign in to hms")).to_be_visible()
        screenshot("08-sign-in-phone", on=small)
        assert fits_width(small)
        small.get_by_label("Username").fill("grace")
        small.get_by_label("Password").fill("correct-horse-battery-staple")
        small.get_by_role("button", name="Sign in").click()
        expect(small).to_have_url(site("/"))
        screenshot("09-home-phone", on=small)
        assert fits_width(small)
    finally:
        phone.close()
