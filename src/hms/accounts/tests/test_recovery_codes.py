"""Recovery codes are kept only as password hashes: the database never holds a code,
each works once, a wrong one fails and backs off further tries, and codes kept in plain
text by an earlier version are hashed by a migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import RecoveryCode, RecoveryCodeDevice
from hms.accounts.tests.helpers import SETUP_URL, VERIFY_URL, sign_in, totp_code

pytestmark = pytest.mark.django_db

hash_plaintext_codes = importlib.import_module(
    "hms.accounts.migrations.0010_hash_plaintext_recovery_codes"
)


def _stored_text() -> list[str]:
    """Every text value in every table, sessions decoded."""
    found = []
    for model in apps.get_models():
        text_fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if text_fields:
            for row in model.objects.values_list(*text_fields):
                found.extend(str(value) for value in row)
    found.extend(str(session.get_decoded()) for session in Session.objects.all())
    return found


def test_the_database_never_holds_a_recovery_code(client, make_user, clock):
    # given: a user who enrolled through the pages
    user = make_user("doctor")
    sign_in(client, user.username)
    client.get(SETUP_URL)
    response = client.post(SETUP_URL, {"code": totp_code(TOTPDevice.objects.get(user=user))})
    codes = response.context["codes"]

    # when
    stored = _stored_text()

    # then: the codes were shown, and no table or session holds any of them
    assert len(codes) == 10
    assert all(code in response.content.decode() for code in codes)
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    assert not [value for value in stored for code in codes if code in value]


def test_a_recovery_code_in_capitals_works_once(client, make_enrolled):
    # given
    user = make_enrolled("doctor")
    code = user.recovery_codes[3]

    # when
    first = match_token(user, code.upper())
    again = match_token(user, code)

    # then
    assert isinstance(first, RecoveryCodeDevice)
    assert again is None
    assert RecoveryCode.objects.filter(device__user=user).count() == 9


def test_a_wrong_recovery_code_fails_and_spends_nothing(client, make_enrolled):
    # given
    user = make_enrolled("doctor")
    sign_in(client, user.username)

    # when
    response = client.post(VERIFY_URL, {"code": "abcdef-123456"})

    # then
    assert response.status_code == 400
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    assert RecoveryCodeDevice.objects.get(user=user).throttling_failure_count == 1
    assert client.get("/")["Location"] == VERIFY_URL


def test_a_wrong_recovery_code_backs_off_the_next_try(client, make_enrolled, clock):
    # given
    user = make_enrolled("doctor")
    right = user.recovery_codes[0]
    sign_in(client, user.username)
    client.post(VERIFY_URL, {"code": "abcdef-123456"})

    # when: the right code at once, then after the back-off
    at_once = client.post(VERIFY_URL, {"code": right})
    clock.shift(2)
    later = client.post(VERIFY_URL, {"code": right})

    # then
    assert at_once.status_code == 400
    assert later.status_code == 302
    assert RecoveryCodeDevice.objects.get(user=user).throttling_failure_count == 0


def test_an_authenticator_code_is_not_tried_against_the_recovery_codes(make_enrolled):
    # given
    user = make_enrolled("doctor")

    # when
    device = match_token(user, "000000")

    # then: no back-off on the recovery codes for a mistyped authenticator code
    assert device is None
    assert RecoveryCodeDevice.objects.get(user=user).throttling_failure_count == 0


def test_the_migration_hashes_codes_kept_in_plain_text(make_user, clock):
    # given: recovery codes as an earlier version kept them
    user = make_user("doctor")
    old = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    StaticToken.objects.bulk_create(
        StaticToken(device=old, token=code) for code in ["a1b2c3-d4e5f6", "0a0b0c-0d0e0f"]
    )

    # when
    hash_plaintext_codes.forwards(apps, None)

    # then: no plain code is left, and each code still signs in once
    assert StaticToken.objects.exists() is False
    assert StaticDevice.objects.exists() is False
    digests = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(digests) == 2
    assert not any("a1b2c3" in d or "0a0b0c" in d for d in digests)
    assert isinstance(match_token(user, "a1b2c3-d4e5f6"), RecoveryCodeDevice)
    assert match_token(user, "a1b2c3-d4e5f6") is None
    clock.shift(2)  # past the back-off of that refusal
    assert match_token(user, "0a0b0c-0d0e0f") is not None
