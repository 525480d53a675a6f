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


@pytest.fixture
def page(page):
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
