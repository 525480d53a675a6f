"""The password policy, argon2 storage, and the password change page."""

from __future__ import annotations

import pytest
from django.test import Client

from hms.accounts import services
from hms.accounts.errors import AccountErrorCode
from hms.accounts.testing import verified_session
from hms.accounts.tests.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    audit_mark,
    audit_since,
    counts,
    refused_row,
    sign_in,
)
from hms.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

PASSWORD_URL = "/accounts/password/"
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


# The policy


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Tr0ub4dor&3", "This password is too short. It must contain at least 12 characters."),
        ("qwerty123456", "This password is too common."),
        ("830194726153", "This password is entirely numeric."),
        ("x" * 129, "This password is too long (at most 128 characters)."),
        ("amina.wanjiru", "The password is too similar to the username."),
    ],
)
def test_policy_refuses_weak_passwords_with_a_message(password, message):
    # when
    with pytest.raises(InvalidInput) as exc:
        services.validate_new_password(password, services.User(username="amina.wanjiru"))

    # then
    assert exc.value.message == message
    assert exc.value.field == "password"
    assert exc.value.code == AccountErrorCode.WEAK_PASSWORD


def test_policy_gives_every_reason_at_once():
    # when
    with pytest.raises(InvalidInput) as exc:
        services.validate_new_password("12345")

    # then
    assert exc.value.message == (
        "This password is too short. It must contain at least 12 characters. "
        "This password is too common. This password is entirely numeric."
    )


@pytest.mark.parametrize("password", ["violet-otter-canoe", "x1" * 64])
def test_policy_accepts_long_uncommon_passwords(password):
    services.validate_new_password(password)


def test_create_user_with_a_weak_password_writes_nothing(facility):
    # given
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        services.create_user(
            actor=None,
            facility=facility,
            username="new.nurse",
            password="qwerty123456",
            roles=["nurse"],
            skip_permission_checks=True,
        )

    # then
    assert exc.value.code == AccountErrorCode.WEAK_PASSWORD
    assert counts() == before
    assert audit_since(mark) == []


# Storage


def test_new_password_is_stored_with_argon2(make_user, settings):
    # given
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS

    # when
    user = make_user("receptionist")

    # then
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD) is True


def test_older_hash_is_upgraded_to_argon2_at_sign_in(make_user, settings):
    # given: a user stored with the second hasher of the list
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS[::-1]
    user = make_user("receptionist")
    assert user.password.startswith("pbkdf2_sha256$")
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS

    # when
    response = sign_in(Client(), user.username)

    # then
    user.refresh_from_db()
    assert response.status_code == 302
    assert user.password.startswith("argon2$")


# The change page


def test_password_change_page_renders(signed_in):
    # given
    client, _ = signed_in("receptionist")

    # when
    response = client.get(PASSWORD_URL)

    # then
    assert response.status_code == 200
    assert list(response.context["form"].fields) == [
        "old_password",
        "new_password",
        "confirm_password",
    ]


def test_wrong_current_password_is_refused_and_audited(signed_in):
    # given
    client, user = signed_in("receptionist")
    mark = audit_mark()

    # when
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    # then
    user.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors == {"old_password": ["The current password is wrong."]}
    assert user.check_password(PASSWORD) is True
    assert audit_since(mark) == [
        ("update", "failure", user.username, "password change refused: wrong current password")
    ]


def test_weak_new_password_is_refused(signed_in):
    # given
    client, user = signed_in("receptionist")
    mark = audit_mark()

    # when
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": PASSWORD,
            "new_password": "qwerty123456",
            "confirm_password": "qwerty123456",
        },
    )

    # then
    user.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors == {"new_password": ["This password is too common."]}
    assert user.check_password(PASSWORD) is True
    assert audit_since(mark) == [refused_row(user, 400)]


def test_differing_new_passwords_are_refused(signed_in):
    # given
    client, user = signed_in("receptionist")
    mark = audit_mark()

    # when
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD + "!",
        },
    )

    # then
    user.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "confirm_password": ["The two new passwords differ."]
    }
    assert user.check_password(PASSWORD) is True
    assert audit_since(mark) == [refused_row(user, 400)]


def test_password_change_keeps_this_session_signed_in(signed_in):
    # given
    client, user = signed_in("admin")
    mark = audit_mark()

    # when
    response = client.post(
        PASSWORD_URL,
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    # then
    user.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert user.check_password(NEW_PASSWORD) is True
    assert client.get("/").status_code == 200
    assert audit_since(mark) == [("update", "success", user.username, "password changed")]


def test_password_change_signs_out_other_sessions(signed_in):
    # given: the same user signed in elsewhere
    client, user = signed_in("receptionist")
    elsewhere = verified_session(Client(), user)
    assert elsewhere.get("/").status_code == 200

    # when
    client.post(
        PASSWORD_URL,
        {
            "old_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    # then
    response = elsewhere.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_password_change_page_needs_a_signed_in_user(client):
    # when
    response = client.get(PASSWORD_URL)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PASSWORD_URL}"
