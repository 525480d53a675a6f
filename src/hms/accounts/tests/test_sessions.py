"""Idle log-off, enforced on the server: the session ends 15 minutes after the last request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from hms.accounts import services
from hms.accounts.tests.helpers import (
    LOGIN_URL,
    audit_mark,
    audit_since,
    refused_row,
    session_key,
)

KEEPALIVE_URL = "/accounts/keepalive/"

pytestmark = pytest.mark.django_db


def test_idle_timeout_is_fifteen_minutes():
    assert settings.SESSION_COOKIE_AGE == settings.IDLE_TIMEOUT_SECONDS == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_idle_session_is_signed_out(signed_in, clock):
    # given
    client, _ = signed_in("receptionist")
    assert client.get("/").status_code == 200
    key = session_key(client)

    # when
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    response = client.get("/")

    # then: the server no longer honours the cookie, whatever the browser does
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/"
    assert Session.objects.filter(session_key=key, expire_date__gt=timezone.now()).exists() is False


def test_session_with_requests_in_between_stays_signed_in(signed_in, clock):
    # given
    client, _ = signed_in("receptionist")
    step = timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)

    # when: three requests, each within the timeout of the one before
    statuses = []
    for _ in range(3):
        clock.shift(step)
        statuses.append(client.get("/").status_code)

    # then: well past the timeout since sign-in, still signed in
    assert statuses == [200, 200, 200]


def test_keepalive_extends_the_session(signed_in, clock):
    # given: a page open for longer than the timeout, pinging while the user types
    client, _ = signed_in("receptionist")
    step = timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)

    # when
    clock.shift(step)
    ping = client.get(KEEPALIVE_URL)
    clock.shift(step)

    # then
    assert ping.status_code == 204
    assert client.get("/").status_code == 200


def test_keepalive_after_the_timeout_says_signed_out(signed_in, clock):
    # given
    client, _ = signed_in("receptionist")
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    mark = audit_mark()

    # when
    response = client.get(KEEPALIVE_URL)

    # then
    assert response.status_code == 401
    assert audit_since(mark) == [refused_row(None, 401, action="read")]


def test_idle_session_is_refused_by_the_api_too(signed_in, clock):
    # given
    client, _ = signed_in("receptionist")
    assert client.get("/api/v1/me/").status_code == 200

    # when
    clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
    mark = audit_mark()
    response = client.get("/api/v1/me/")

    # then
    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"
    assert audit_since(mark) == [
        refused_row(
            None, 401, action="read", detail="Authentication credentials were not provided."
        )
    ]


def test_idle_log_off_from_the_page_is_audited(signed_in):
    # given
    client, user = signed_in("receptionist")
    mark = audit_mark()

    # when
    response = client.post("/accounts/logout/", {"reason": "idle"})

    # then
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?timeout=1"
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [
        ("logout", "success", user.username, "automatic log-off after inactivity")
    ]
    assert "signed out after a period of inactivity" in client.get(response["Location"]).text


def test_deactivation_ends_the_users_open_session(signed_in, make_user, facility):
    # given
    client, user = signed_in("receptionist")
    assert client.get("/").status_code == 200

    # when
    services.set_user_active(
        actor=make_user("admin"), user=user, facility=facility, active=False, reason=""
    )

    # then
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/"


def test_two_factor_reset_holds_the_open_session_at_enrolment(signed_in, make_user, facility):
    # given: a doctor verified with the authenticator that is then removed
    client, user = signed_in("doctor")
    assert client.get("/").status_code == 200

    # when
    services.reset_two_factor(actor=make_user("admin"), user=user, facility=facility)

    # then
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/"
