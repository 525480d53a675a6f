"""Fixtures for the accounts tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from hms.accounts import services
from hms.accounts.models import User
from hms.accounts.testing import verified_session
from hms.accounts.tests.helpers import totp_code

# A Monday morning; the clock stands still unless a test moves it.
NOW = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """A frozen clock at NOW; `clock.shift(seconds)` moves it forward."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make_enrolled(make_user, clock):
    """make_enrolled("doctor") -> a user with a confirmed authenticator.

    The user's recovery codes are on `user.recovery_codes` and their authenticator on
    `user.totp`. The clock then moves one TOTP step on, so the next code is fresh.
    """

    def make(*roles: str, **kwargs):
        user = make_user(*roles, **kwargs)
        device = services.start_totp_enrolment(user=user)
        user.recovery_codes = services.confirm_totp_enrolment(
            user=user, device=device, code=totp_code(device)
        )
        user.totp = device
        clock.shift(device.step)
        return user

    return make


@pytest.fixture
def signed_in(make_user):
    """signed_in("admin") -> (client, user): a 2FA-verified session and its user."""

    def make(*roles: str, **kwargs) -> tuple[Client, User]:
        user = make_user(*roles, **kwargs)
        return verified_session(Client(), user), user

    return make
