"""Sign-in with a second factor, in the browser: enrolment, recovery codes, verification."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hms.audit.models import AuditEvent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def test_admin_enrols_an_authenticator_then_signs_in_with_a_recovery_code(
    page, actions, sign_in, site, make_user, totp_now, wait_for
):
    # Given an administrator, whose role requires two-factor login, with no authenticator yet
    admin = make_user("admin", username="amina")

    # When she signs in with her password
    sign_in("amina")

    # Then she is asked to set up an authenticator; she types the code for the key shown
    expect(page).to_have_url(site("/accounts/2fa/setup/"))
    secret = page.get_by_test_id("totp-secret").inner_text()
    actions.fill(page.get_by_label("Code"), totp_now(secret))
    actions.click(page.get_by_role("button", name="Confirm"))

    # and is shown ten recovery codes once, in the answer to that confirmation (they are
    # never stored, not even in her session), then continues to the home page
    expect(page).to_have_url(site("/accounts/2fa/setup/"))
    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]{6}", code) for code in codes)
    actions.click(page.get_by_role("link", name=re.compile("continue")))
    expect(page).to_have_url(site("/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("amina")
    assert actions.reset() == 6  # username, password, sign in, code, confirm, continue

    # When she signs out and signs in again, this time with a recovery code (a TOTP code from
    # the same 30-second step as the enrolment code would be refused as a replay)
    actions.click(page.locator("details.usermenu > summary"))
    actions.click(page.get_by_role("button", name="Sign out"))
    expect(page).to_have_url(site("/accounts/login/"))
    assert actions.reset() == 2
    sign_in("amina")
    expect(page).to_have_url(site("/accounts/2fa/"))
    actions.fill(page.get_by_label("Code"), codes[0])
    actions.click(page.get_by_role("button", name="Verify"))

    # Then she is in, in 5 actions, and the trail says how
    expect(page).to_have_url(site("/"))
    assert actions.reset() == 5  # username, password, sign in, code, verify
    assert wait_for(
        lambda: AuditEvent.objects.filter(
            actor=admin, action="login", reason="password + recovery code"
        ).exists()
    )

    # and that recovery code is spent: signing in with it again fails
    actions.click(page.locator("details.usermenu > summary"))
    actions.click(page.get_by_role("button", name="Sign out"))
    sign_in("amina")
    actions.fill(page.get_by_label("Code"), codes[0])
    actions.click(page.get_by_role("button", name="Verify"))
    expect(page.get_by_text("That code is not right, or it was already used.")).to_be_visible()
    expect(page).to_have_url(site("/accounts/2fa/"))


def test_wrong_second_factor_code_shows_an_error_and_keeps_the_user_at_the_second_step(
    page, actions, sign_in, site, make_user, enrolled_device, totp_now, wait_for
):
    # Given an administrator with an authenticator, past the password step
    admin = make_user("admin", username="amina")
    device = enrolled_device(admin)
    sign_in("amina")
    expect(page).to_have_url(site("/accounts/2fa/"))

    # When she types a code that is not the one her authenticator shows
    wrong = f"{(int(totp_now(device.bin_key)) + 500_000) % 1_000_000:06d}"
    actions.fill(page.get_by_label("Code"), wrong)
    actions.click(page.get_by_role("button", name="Verify"))

    # Then the page says so and she is still at the second step, not signed in
    expect(page.get_by_role("alert")).to_have_text(
        "That code is not right, or it was already used."
    )
    expect(page).to_have_url(site("/accounts/2fa/"))
    page.goto(site("/"))
    expect(page).to_have_url(site("/accounts/2fa/"))
    assert wait_for(
        lambda: AuditEvent.objects.filter(
            actor=admin, action="login_failed", reason="wrong or reused second-factor code"
        ).exists()
    )
    # (a sign-in completed with a second factor is logged as "password + TOTP" or similar)
    assert not AuditEvent.objects.filter(
        actor=admin, action="login", reason__startswith="password +"
    ).exists()
