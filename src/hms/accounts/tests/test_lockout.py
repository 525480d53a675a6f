"""Lockout after repeated failed sign-ins (django-axes): 5 failures lock a username for 15 min."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client

from hms.accounts import services
from hms.accounts.selectors import user_security_summary
from hms.accounts.tests.helpers import audit_mark, audit_since, sign_in
from hms.core.errors import NotPermitted

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-entirely"
LOCKED = "This account is locked after too many failed sign-ins."


def _fail(client: Client, username: str, times: int) -> list[int]:
    return [sign_in(client, username, WRONG).status_code for _ in range(times)]


def test_settings_lock_after_five_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_four_failures_do_not_lock(client, make_user, clock):
    # given
    user = make_user("receptionist")
    assert _fail(client, user.username, 4) == [401, 401, 401, 401]

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_fifth_failure_locks_the_username(client, make_user, facility, clock):
    # when
    user = make_user("receptionist")
    statuses = _fail(client, user.username, 5)

    # then: the fifth failure is the one that locks
    assert statuses == [401, 401, 401, 401, 429]
    assert user_security_summary(facility=facility)["locked"] == 1


def test_locked_user_is_refused_even_with_the_right_password(client, make_user, clock):
    # given
    user = make_user("receptionist")
    _fail(client, user.username, 5)
    mark = audit_mark()

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 429
    assert response.context["error"].startswith(LOCKED)
    assert "Try again in 15 minutes" in response.context["error"]
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [("login_failed", "denied", user.username, "account locked")]


def test_lockout_is_per_username_not_per_address(client, make_user, clock):
    # given: one user locked from this address
    locked = make_user("receptionist")
    colleague = make_user("nurse")
    _fail(client, locked.username, 5)

    # when: a colleague behind the same address signs in
    response = sign_in(Client(), colleague.username)

    # then
    assert response.status_code == 302


def test_lockout_ends_after_fifteen_minutes(client, make_user, facility, clock):
    # given
    user = make_user("receptionist")
    _fail(client, user.username, 5)
    clock.shift(timedelta(minutes=14, seconds=59))
    assert user_security_summary(facility=facility)["locked"] == 1

    # when
    clock.shift(timedelta(seconds=2))
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user_security_summary(facility=facility)["locked"] == 0


def test_an_attempt_during_lockout_restarts_the_cool_off(client, make_user, clock):
    # given: locked, then one more try (right password) after 14 minutes
    user = make_user("receptionist")
    _fail(client, user.username, 5)
    clock.shift(timedelta(minutes=14))
    assert sign_in(client, user.username).status_code == 429

    # when: 15 minutes after the first lock, but 1 minute after that try
    clock.shift(timedelta(minutes=1, seconds=1))
    response = sign_in(client, user.username)

    # then: django-axes' default (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_unlock_lifts_the_lockout(client, make_user, facility, clock):
    # given
    admin = make_user("admin")
    user = make_user("receptionist")
    _fail(client, user.username, 5)
    mark = audit_mark()

    # when
    services.unlock_user(actor=admin, user=user, facility=facility)

    # then
    assert audit_since(mark) == [("update", "success", admin.username, "sign-in lockout lifted")]
    response = sign_in(client, user.username)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_receptionist_cannot_unlock(client, make_user, facility, clock):
    # given
    receptionist = make_user("receptionist")
    user = make_user("nurse")
    _fail(client, user.username, 5)
    mark = audit_mark()

    # when
    with pytest.raises(NotPermitted) as exc:
        services.unlock_user(actor=receptionist, user=user, facility=facility)

    # then
    assert exc.value.code == "NOT_PERMITTED"
    assert audit_since(mark) == []
    assert sign_in(client, user.username).status_code == 429


def test_a_successful_sign_in_resets_the_failure_count(client, make_user, clock):
    # given: four failures, then a success
    user = make_user("receptionist")
    _fail(client, user.username, 4)
    sign_in(client, user.username)
    client.post("/accounts/logout/")

    # when
    statuses = _fail(client, user.username, 4)

    # then
    assert statuses == [401, 401, 401, 401]
    assert sign_in(client, user.username).status_code == 302
