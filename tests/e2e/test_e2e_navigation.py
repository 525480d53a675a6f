"""What the navigation offers each role, and the keyboard shortcuts."""

from __future__ import annotations

import re
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


def nav_link(page, label: str):
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile(rf"^{label}\b")
    )


def test_receptionist_signs_in_without_a_second_factor_and_sees_no_admin_pages(
    page, actions, sign_in, site, make_user
):
    # Given a receptionist, whose role needs no second factor
    make_user("receptionist", username="grace")

    # When she signs in with her password
    sign_in("grace")

    # Then she is at the home page in 3 actions, with no audit trail or user administration
    expect(page).to_have_url(site("/"))
    assert actions.count == 3
    expect(nav_link(page, "Home")).to_be_visible()
    expect(nav_link(page, "Audit trail")).to_have_count(0)
    expect(nav_link(page, "Users")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit trail")).to_have_count(0)


def test_auditor_sees_the_audit_trail_and_reaches_it_from_the_keyboard(
    page, actions, sign_in, site, make_user, enrolled_device, totp_now
):
    # Given an auditor with an authenticator, signed in with password and code
    auditor = make_user("auditor", username="esther")
    device = enrolled_device(auditor)
    sign_in("esther")
    expect(page).to_have_url(site("/accounts/2fa/"))
    actions.fill(page.get_by_label("Code"), totp_now(device.bin_key))
    actions.click(page.get_by_role("button", name="Verify"))
    expect(page).to_have_url(site("/"))
    assert actions.reset() == 5

    # Then the navigation offers the audit trail, but not user administration
    expect(nav_link(page, "Audit trail")).to_be_visible()
    expect(nav_link(page, "Users")).to_have_count(0)

    # When she presses "?", the shortcuts dialog opens and lists "g a"; Escape closes it
    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_hidden()
    actions.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Audit trail")
    expect(dialog.locator("kbd", has_text="g a")).to_be_visible()
    actions.press("Escape")
    expect(dialog).to_be_hidden()

    # When she types "g" then "a", the audit trail opens
    actions.reset()
    actions.press("g")
    actions.press("a")
    expect(page).to_have_url(site("/audit/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    expect(nav_link(page, "Audit trail")).to_have_attribute("aria-current", "page")
    assert actions.count == 2
