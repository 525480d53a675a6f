"""Automatic log-off: an unattended screen signs itself out, and the trail records why."""

from __future__ import annotations

import time
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

# The page signs out a tenth of the timeout (at most 2 s) before the server would end the
# session, checking every half of that; 15 s leaves the log-off request at least 0.75 s to
# arrive while the session is alive, even on a busy CI machine. Real time on both sides: the
# race between the page and the server is what this test is about.
IDLE_SECONDS = 15


def test_idle_receptionist_is_signed_out_and_the_log_off_is_audited(
    page, sign_in, site, settings, make_user, wait_for
):
    # Given sessions that end after a few idle seconds, as the page and the server see them
    settings.IDLE_TIMEOUT_SECONDS = IDLE_SECONDS
    settings.SESSION_COOKIE_AGE = IDLE_SECONDS
    receptionist = make_user("receptionist", username="grace")
    sign_in("grace")
    expect(page).to_have_url(site("/"))
    signed_in_at = time.monotonic()

    # When she does nothing, the page takes her to the sign-in page and says why
    expect(page).to_have_url(site("/accounts/login/?timeout=1"), timeout=(IDLE_SECONDS + 10) * 1000)
    idle_for = time.monotonic() - signed_in_at
    expect(page.get_by_text("You were signed out after a period of inactivity.")).to_be_visible()

    # Then it happened at about the timeout, not before half of it
    assert IDLE_SECONDS / 2 < idle_for < IDLE_SECONDS + 5
    # and the trail records a log-off for inactivity, made while the session was still hers
    assert wait_for(
        lambda: AuditEvent.objects.filter(
            actor=receptionist, action="logout", reason__icontains="inactivity"
        ).exists()
    )
    # and the session is over: the home page asks for a password again
    page.goto(site("/"))
    expect(page).to_have_url(site("/accounts/login/?next=/"))
