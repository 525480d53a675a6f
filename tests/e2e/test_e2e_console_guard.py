"""Every browser test fails on a JavaScript error, a console error or a CSP violation
(tests/e2e/conftest.py); here the guard is shown to catch each of them."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

POLICY = "script-src 'self'; style-src 'self'"
PAGE = """<!doctype html><title>probe</title>
<button id="inline" onclick="document.title='ran'">inline handler</button>
<script>document.title = "inline script ran";</script>
<script src="/boom.js"></script>"""


def test_the_guard_catches_inline_code_script_errors_and_console_errors(page, site, console_guard):
    page.route(
        "**/probe/",
        lambda route: route.fulfill(
            body=PAGE, content_type="text/html", headers={"Content-Security-Policy": POLICY}
        ),
    )
    page.route(
        "**/boom.js",
        lambda route: route.fulfill(
            body="console.error('logged'); undefinedFunction();",
            content_type="text/javascript",
        ),
    )
    page.goto(site("/probe/"))
    page.locator("#inline").click()
    page.wait_for_timeout(200)

    seen = "\n".join(console_guard.problems)
    assert page.title() == "probe"  # the policy held: neither inline script ran
    assert "CSP: script-src" in seen
    assert "console error" in seen
    assert "logged" in seen
    assert "page error" in seen
    assert "undefinedFunction" in seen
    console_guard.problems.clear()  # seen and expected: this test passes


def test_a_clean_page_reports_nothing(page, site, console_guard):
    page.goto(site("/accounts/login/"))
    assert console_guard.problems == []
