"""Browser tests: Debian's headless Chromium, driven by Playwright, against the live server.

Every test here is marked `browser` and skipped when /usr/bin/chromium is missing; Playwright's
own browser downloads are never used.
"""

from __future__ import annotations

import os
import re
import time
from base64 import b32decode
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told this is safe (it is: the test thread only reads
# and writes between browser steps). Set before any test touches the database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# The password the root conftest's `make_user` gives every user. Test modules cannot import
# from here (every conftest.py is a module named `conftest`), so each one marks itself
# `browser` and skips when /usr/bin/chromium is missing, and helpers are fixtures.
PASSWORD = "correct-horse-battery-staple"
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}, "locale": "en-GB"}


# Reports each Content-Security-Policy violation to the test (console messages name most of
# them, but not all: a blocked inline handler on a page being left can go unlogged).
_REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__hmsCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`
    + ` at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""
# An answer of 4xx is an outcome the tests assert (a refused form, a missing page); the browser
# logs it as a console error all the same. A 5xx is not expected and still fails.
_EXPECTED = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")


class ConsoleGuard:
    """Collects JavaScript errors, console errors and CSP violations of every page a test
    opens, in every browser context it makes; the test fails if any were seen."""

    def __init__(self):
        self.problems: list[str] = []

    def watch(self, context) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        context.expose_binding(
            "__hmsCspViolation", lambda source, text: self.problems.append(f"CSP: {text}")
        )
        context.add_init_script(_REPORT_CSP)

    def _console(self, message) -> None:
        if message.type == "error" and not _EXPECTED.match(message.text):
            self.problems.append(
                f"console error on {message.page.url if message.page else '?'}: {message.text}"
            )


@pytest.fixture(autouse=True)
def console_guard(request, monkeypatch):
    """Applies to every browser test: fails it on any JavaScript error, console error or CSP
    violation, on every page it opened."""
    guard = ConsoleGuard()
    browser = request.getfixturevalue("browser")
    new_context, new_page = browser.new_context, browser.new_page

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        guard.watch(context)
        return context

    def watched_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        guard.watch(page.context)
        return page

    monkeypatch.setattr(browser, "new_context", watched_context)
    monkeypatch.setattr(browser, "new_page", watched_page)
    yield guard
    if guard.problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(guard.problems), pytrace=False)


@pytest.fixture
def page(console_guard, page):
    page.set_default_timeout(15_000)
    return page


class Actions:
    """Drives the page the way a user does and counts each action: a click, a fill, a key
    press, a check or a select counts one (UX.md). Reading the screen is free."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def fill(self, locator, value: str) -> None:
        locator.fill(value)
        self.count += 1

    def click(self, locator) -> None:
        locator.click()
        self.count += 1

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def reset(self) -> int:
        """Return the count so far and start again from zero."""
        done, self.count = self.count, 0
        return done


@pytest.fixture
def actions(page) -> Actions:
    return Actions(page)


@pytest.fixture
def site(live_server):
    """site("/accounts/login/") -> the live server's absolute URL for a path."""
    return lambda path="/": f"{live_server.url}{path}"


@pytest.fixture
def sign_in(page, actions, site):
    """Open the sign-in page and sign in with a password: 3 actions."""

    def run(username: str, password: str = PASSWORD) -> None:
        page.goto(site("/accounts/login/"))
        actions.fill(page.get_by_label("Username"), username)
        actions.fill(page.get_by_label("Password"), password)
        actions.click(page.get_by_role("button", name="Sign in"))

    return run


def _totp_now(secret: bytes | str) -> str:
    from django_otp.oath import totp

    if isinstance(secret, str):
        text = re.sub(r"\s+", "", secret).upper()
        secret = b32decode(text + "=" * (-len(text) % 8))
    return f"{totp(secret, step=30, t0=0, digits=6):06d}"


@pytest.fixture
def totp_now():
    """totp_now(secret) -> the 6-digit code an authenticator app shows now, for a raw key or
    for the key as the enrolment page shows it (base32 in groups of four, padding dropped)."""
    return _totp_now


@pytest.fixture
def enrolled_device():
    """enrolled_device(user) -> a confirmed authenticator for `user`, as after enrolment."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(user):
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return make


@pytest.fixture
def sign_in_as(page, sign_in, make_user, enrolled_device, totp_now):
    """sign_in_as("auditor", username="ruth") -> a new user in that role, signed in on `page`,
    past the second factor when the role requires one."""
    from hms.accounts import policies

    def run(role: str, **kwargs):
        user = make_user(role, **kwargs)
        device = enrolled_device(user) if policies.requires_two_factor(user) else None
        sign_in(user.username)
        if device is not None:
            page.get_by_label("Code").fill(totp_now(device.bin_key))
            page.get_by_role("button", name="Verify").click()
        return user

    return run


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves the whole page to tests/e2e/screenshots/name.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def shoot(name: str, on=None) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        (on or page).screenshot(path=str(path), full_page=True)
        return path

    return shoot


def _wait_for(predicate, timeout: float = 5.0, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def wait_for():
    """wait_for(predicate) polls until it is true (5 s at most) and returns its last answer:
    the server may still be finishing a request whose result the browser already shows."""
    return _wait_for


def pytest_configure(config):
    # pytest-playwright 0.10 defines its session-scoped `base_url` fixture as a method;
    # pytest 9 warns about that on every run. Not ours to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:Session-scoped fixtures defined as instance methods"
    )
