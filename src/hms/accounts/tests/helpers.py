"""Small helpers shared by the accounts tests: audit-trail reads, TOTP codes, sign-in."""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import Max
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts import services
from hms.accounts.models import ApiToken, RoleAssignment, User
from hms.accounts.testing import PASSWORD
from hms.audit.models import AuditEvent

# PASSWORD (re-exported) is the one `make_user` in the root conftest gives every user.
NEW_PASSWORD = "violet-otter-canoe-lantern"

LOGIN_URL = "/accounts/login/"
VERIFY_URL = "/accounts/2fa/"
SETUP_URL = "/accounts/2fa/setup/"
RECOVERY_URL = "/accounts/2fa/recovery-codes/"
ME_URL = "/api/v1/me/"


def audit_mark() -> int:
    """The id of the newest audit row; pass it to `audit_since` after the action."""
    return AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0


def audit_since(mark: int) -> list[tuple[str, str, str, str]]:
    """(action, outcome, username, reason) of every audit row written after `mark`."""
    rows = AuditEvent.objects.filter(id__gt=mark).order_by("id")
    return list(rows.values_list("action", "outcome", "username", "reason"))


def counts() -> dict[str, int]:
    """Row counts of what account writes touch, to show that a refusal changed nothing."""
    return {
        "users": User.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "tokens": ApiToken.objects.count(),
        "usable_tokens": ApiToken.objects.usable().count(),
        "totp_devices": TOTPDevice.objects.count(),
    }


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for `device`."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return str(totp.token()).zfill(device.digits)


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str):
    """POST the sign-in form and return the response."""
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def refused_row(
    user: User | None, status: int, *, action: str = "create", detail: str = "request refused"
) -> tuple[str, str, str, str]:
    """The row the audit catch-all writes for a 4xx answer nothing else recorded."""
    outcome = "denied" if status in (401, 403, 429) else "failure"
    return (action, outcome, user.username if user else "", f"HTTP {status}: {detail}")


def issue_token(user: User, *, days: int = 30, name: str = "feed") -> tuple[ApiToken, str]:
    """A token for `user` as the CLI issues it; returns (row, raw secret)."""
    return services.issue_token(
        actor=None, user=user, name=name, days=days, skip_permission_checks=True
    )
