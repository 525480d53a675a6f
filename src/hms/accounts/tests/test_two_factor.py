"""Two-factor login: who must enrol, enrolment, the code step, replay and recovery codes."""

from __future__ import annotations

from base64 import b32encode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import RecoveryCode, Role
from hms.accounts.tests.helpers import (
    LOGIN_URL,
    ME_URL,
    RECOVERY_URL,
    SETUP_URL,
    VERIFY_URL,
    audit_mark,
    audit_since,
    refused_row,
    session_key,
    sign_in,
    totp_code,
)

pytestmark = pytest.mark.django_db

ROLES_THAT_MUST_ENROL = ["admin", "doctor", "pharmacist", "auditor"]


# Who is asked


@pytest.mark.parametrize("role", ROLES_THAT_MUST_ENROL)
def test_role_that_requires_two_factor_is_sent_to_enrol(client, make_user, role):
    # given
    user = make_user(role)
    mark = audit_mark()

    # when
    response = sign_in(client, user.username)

    # then: the password step is recorded, so a stolen password leaves a trace
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL
    assert audit_since(mark) == [
        ("login", "success", user.username, "password accepted; second factor pending")
    ]


@pytest.mark.parametrize("path", ["/", "/accounts/users/", "/accounts/tokens/", "/audit/"])
def test_every_page_leads_to_enrolment_until_it_is_done(client, make_user, path):
    # given
    sign_in(client, make_user("admin").username)

    # when
    response = client.get(path)

    # then
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_api_with_a_password_only_session_answers_401(client, make_user):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    mark = audit_mark()

    # when
    response = client.get(ME_URL)

    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "TWO_FACTOR_REQUIRED",
        "detail": "Complete two-factor login first.",
    }
    assert audit_since(mark) == [refused_row(user, 401, action="read")]


def test_sign_out_stays_reachable_while_a_factor_is_owed(client, make_user):
    # given
    sign_in(client, make_user("doctor").username)

    # when
    response = client.post("/accounts/logout/")

    # then
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_receptionist_is_not_asked_for_a_second_factor(client, make_user):
    # given
    user = make_user("receptionist")
    mark = audit_mark()

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert audit_since(mark)[0] == ("login", "success", user.username, "password")


def test_requiring_two_factor_for_a_role_is_configurable(client, make_user):
    # given
    Role.objects.filter(code="receptionist").update(requires_two_factor=True)
    user = make_user("receptionist")

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


def test_admin_turns_on_two_factor_for_a_role_in_the_admin(signed_in, make_user, client):
    # given
    admin_client, admin = signed_in("admin")
    role = Role.objects.get(code="receptionist")
    receptionist = make_user("receptionist")
    mark = audit_mark()

    # when
    response = admin_client.post(
        f"/admin/accounts/role/{role.pk}/change/", {"requires_two_factor": "on"}
    )

    # then
    role.refresh_from_db()
    assert response.status_code == 302
    assert role.requires_two_factor is True
    assert audit_since(mark) == [
        ("update", "success", admin.username, "administration: changed Requires two factor")
    ]
    assert sign_in(client, receptionist.username)["Location"] == SETUP_URL


def test_a_user_who_enrolled_by_choice_is_asked_too(client, make_enrolled):
    # given
    user = make_enrolled("receptionist")

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL


# Enrolment


def test_enrolment_page_shows_the_qr_code_and_secret(client, make_user):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)

    # when
    response = client.get(SETUP_URL)

    # then
    device = TOTPDevice.objects.get(user=user)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    assert response.status_code == 200
    assert device.confirmed is False
    assert response.context["qr_data_uri"].startswith("data:image/svg+xml")
    assert response.context["qr_data_uri"] in response.content.decode()
    assert response.context["secret"].replace(" ", "") == secret
    assert response.context["secret"] in response.content.decode()


def test_reloading_the_enrolment_page_keeps_one_pending_device(client, make_user):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    first = client.get(SETUP_URL).context["secret"]

    # when
    second = client.get(SETUP_URL).context["secret"]

    # then
    assert second == first
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_enrolment_with_the_right_code_confirms_the_device(client, make_user, clock):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=user)
    mark = audit_mark()

    # when
    response = client.post(SETUP_URL, {"code": totp_code(device)})

    # then
    device.refresh_from_db()
    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    assert device.confirmed is True
    assert audit_since(mark) == [
        ("update", "success", user.username, "two-factor enrolled"),
        ("login", "success", user.username, "password + TOTP (enrolment)"),
    ]
    assert client.get("/").status_code == 200


def test_recovery_codes_are_shown_once_after_enrolment(client, make_user, clock):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    client.get(SETUP_URL)

    # when
    first = client.post(SETUP_URL, {"code": totp_code(TOTPDevice.objects.get(user=user))})
    second = client.get(RECOVERY_URL)

    # then
    codes = first.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    assert all(code in first.content.decode() for code in codes)
    assert second.context["codes"] is None
    assert not any(code in second.content.decode() for code in codes)


def test_enrolment_with_a_wrong_code_is_refused(client, make_user, clock):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    client.get(SETUP_URL)
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    mark = audit_mark()

    # when
    response = client.post(SETUP_URL, {"code": wrong})

    # then
    device.refresh_from_db()
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "code": ["That code is not right. Check the time on your phone and try again."]
    }
    assert device.confirmed is False
    assert RecoveryCode.objects.filter(device__user=user).exists() is False
    assert audit_since(mark) == [
        ("update", "failure", user.username, "two-factor enrolment: wrong code")
    ]
    assert client.get("/")["Location"] == SETUP_URL


def test_enrolment_with_no_code_is_refused(client, make_user):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    client.get(SETUP_URL)
    mark = audit_mark()

    # when
    response = client.post(SETUP_URL, {"code": ""})

    # then
    assert response.status_code == 400
    assert TOTPDevice.objects.get(user=user).confirmed is False
    assert audit_since(mark) == [refused_row(user, 400)]


# The code step at later sign-ins


def test_enrolled_user_is_asked_for_a_code_after_the_password(client, make_enrolled):
    # given
    user = make_enrolled("doctor")

    # when
    response = sign_in(client, user.username)

    # then
    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert client.get("/")["Location"] == VERIFY_URL
    assert client.get(VERIFY_URL).status_code == 200


def test_password_only_session_cannot_replace_the_authenticator(client, make_enrolled):
    # given: someone who knows only the password
    user = make_enrolled("doctor")
    sign_in(client, user.username)

    # when
    response = client.get(SETUP_URL)

    # then
    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [True]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("", "Enter the 6-digit code from your authenticator app, or a recovery code."),
        ("12;456", "Codes are digits (or a recovery code like ab12cd-34ef56)."),
    ],
)
def test_missing_or_malformed_code_is_refused_and_audited(client, make_enrolled, code, error):
    # given
    user = make_enrolled("doctor")
    sign_in(client, user.username)
    mark = audit_mark()

    # when
    response = client.post(VERIFY_URL, {"code": code})

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {"code": [error]}
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, "missing or malformed second-factor code")
    ]
    assert client.get("/")["Location"] == VERIFY_URL


def test_wrong_code_is_refused_and_audited(client, make_enrolled):
    # given
    user = make_enrolled("doctor")
    sign_in(client, user.username)
    wrong = f"{(int(totp_code(user.totp)) + 1) % 1_000_000:06d}"
    mark = audit_mark()

    # when
    response = client.post(VERIFY_URL, {"code": wrong})

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "code": ["That code is not right, or it was already used."]
    }
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, "wrong or reused second-factor code")
    ]
    assert client.get("/")["Location"] == VERIFY_URL


def test_right_code_completes_sign_in(client, make_enrolled):
    # given
    user = make_enrolled("doctor")
    sign_in(client, user.username)
    before = session_key(client)
    mark = audit_mark()

    # when
    response = client.post(VERIFY_URL, {"code": totp_code(user.totp)})

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert session_key(client) != before
    assert audit_since(mark) == [("login", "success", user.username, "password + TOTP")]
    assert client.get("/").status_code == 200
    assert client.get(ME_URL).status_code == 200


def test_next_survives_the_code_step(client, make_enrolled):
    # given
    user = make_enrolled("doctor")
    sign_in(client, user.username, next="/accounts/tokens/")

    # when
    response = client.post(VERIFY_URL, {"code": totp_code(user.totp)})

    # then
    assert response["Location"] == "/accounts/tokens/"


def test_a_used_code_cannot_be_replayed(client, make_enrolled):
    # given: a code used to sign in, then signed out
    user = make_enrolled("doctor")
    code = totp_code(user.totp)
    sign_in(client, user.username)
    assert client.post(VERIFY_URL, {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client, user.username)
    mark = audit_mark()

    # when: the same code again, still inside its 30 seconds
    response = client.post(VERIFY_URL, {"code": code})

    # then
    assert response.status_code == 400
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, "wrong or reused second-factor code")
    ]
    assert client.get("/")["Location"] == VERIFY_URL


def test_code_used_at_enrolment_cannot_be_replayed(client, make_user, clock):
    # given
    user = make_user("doctor")
    sign_in(client, user.username)
    client.get(SETUP_URL)
    code = totp_code(TOTPDevice.objects.get(user=user))
    client.post(SETUP_URL, {"code": code})
    client.post("/accounts/logout/")
    sign_in(client, user.username)
    mark = audit_mark()

    # when
    response = client.post(VERIFY_URL, {"code": code})

    # then
    assert response.status_code == 400
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, "wrong or reused second-factor code")
    ]


def test_codes_are_throttled_after_a_failure(client, make_enrolled, clock):
    # given: a wrong code
    user = make_enrolled("doctor")
    sign_in(client, user.username)
    right = totp_code(user.totp)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client.post(VERIFY_URL, {"code": wrong})

    # when: the right code at once, then after the back-off
    at_once = client.post(VERIFY_URL, {"code": right})
    clock.shift(2)
    later = client.post(VERIFY_URL, {"code": right})

    # then
    assert at_once.status_code == 400
    assert later.status_code == 302


def test_recovery_code_works_exactly_once(client, make_enrolled):
    # given
    user = make_enrolled("doctor")
    code = user.recovery_codes[0]
    sign_in(client, user.username)
    mark = audit_mark()

    # when
    first = client.post(VERIFY_URL, {"code": code})
    client.post("/accounts/logout/")
    sign_in(client, user.username)
    second = client.post(VERIFY_URL, {"code": code})

    # then
    assert first.status_code == 302
    assert second.status_code == 400
    assert RecoveryCode.objects.filter(device__user=user).count() == 9
    assert audit_since(mark) == [
        ("login", "success", user.username, "password + recovery code"),
        ("logout", "success", user.username, "signed out"),
        ("login", "success", user.username, "password accepted; second factor pending"),
        ("login_failed", "denied", user.username, "wrong or reused second-factor code"),
    ]


def test_new_recovery_codes_replace_the_old_ones(client, make_enrolled):
    # given: a verified session
    user = make_enrolled("doctor")
    old = user.recovery_codes
    sign_in(client, user.username)
    client.post(VERIFY_URL, {"code": totp_code(user.totp)})

    # when
    response = client.post(RECOVERY_URL)

    # then
    new = response.context["codes"]
    assert response.status_code == 200
    assert len(new) == 10
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    assert set(old).isdisjoint(new)
