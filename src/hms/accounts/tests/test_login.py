"""The sign-in page: answers, audit rows, session rotation, redirects."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from hms.accounts.tests.helpers import (
    LOGIN_URL,
    PASSWORD,
    audit_mark,
    audit_since,
    session_key,
    sign_in,
)

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-entirely"


def test_login_page_renders_the_form(client):
    # when
    response = client.get(LOGIN_URL)

    # then
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["username", "password"]


def test_wrong_password_is_refused_and_audited(client, make_user):
    # given
    user = make_user("receptionist")
    mark = audit_mark()

    # when
    response = sign_in(client, user.username, WRONG)

    # then
    assert response.status_code == 401
    assert response.context["error"] == "Wrong username or password."
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, "wrong username or password")
    ]


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, make_user):
    # given
    user = make_user("receptionist")
    wrong_password = sign_in(client, user.username, WRONG)
    mark = audit_mark()

    # when
    unknown_user = sign_in(client, "nobody-here", WRONG)

    # then: nothing tells an attacker which usernames exist
    assert unknown_user.status_code == wrong_password.status_code == 401
    assert unknown_user.context["error"] == wrong_password.context["error"]
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [
        ("login_failed", "denied", "nobody-here", "wrong username or password")
    ]


def test_incomplete_form_is_a_bad_request(client, make_user):
    # given
    user = make_user("receptionist")
    mark = audit_mark()

    # when
    response = client.post(LOGIN_URL, {"username": user.username})

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {"password": ["This field is required."]}
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [
        ("login_failed", "failure", user.username, "incomplete sign-in form")
    ]


def test_right_password_signs_in_and_is_audited(client, make_user):
    # given
    user = make_user("receptionist")
    mark = audit_mark()

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert audit_since(mark) == [("login", "success", user.username, "password")]


def test_sign_in_rotates_the_session_key(client, make_user):
    # given: a session that exists before sign-in (as an attacker could plant)
    user = make_user("receptionist")
    session = client.session
    session["planted"] = True
    session.save()
    before = session_key(client)

    # when
    sign_in(client, user.username)

    # then
    after = session_key(client)
    assert before is not None
    assert after is not None
    assert after != before
    assert Session.objects.filter(session_key=before).exists() is False


def test_next_on_this_site_is_followed(client, make_user):
    # given
    user = make_user("receptionist")

    # when
    response = sign_in(client, user.username, next="/accounts/tokens/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/accounts/tokens/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/phish", "http://testserver.evil.example/"],
)
def test_next_to_another_site_is_refused(client, make_user, target):
    # given
    user = make_user("receptionist")

    # when
    response = sign_in(client, user.username, next=target)

    # then: signed in, but sent home instead of off-site
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_next_in_the_query_string_to_another_site_is_refused(client, make_user):
    # given
    user = make_user("receptionist")

    # when
    response = client.post(
        f"{LOGIN_URL}?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD},
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_inactive_user_cannot_sign_in(client, make_user):
    # given
    user = make_user("receptionist")
    user.is_active = False
    user.save(update_fields=["is_active"])
    mark = audit_mark()

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, "wrong username or password")
    ]


def test_logout_ends_the_session_and_is_audited(client, make_user):
    # given
    user = make_user("receptionist")
    sign_in(client, user.username)
    mark = audit_mark()

    # when
    response = client.post("/accounts/logout/")

    # then
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session
    assert audit_since(mark) == [("logout", "success", user.username, "signed out")]
