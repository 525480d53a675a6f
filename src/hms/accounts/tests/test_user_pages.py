"""User administration pages (/accounts/users/) for a facility's administrators."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import User
from hms.accounts.tests.helpers import (
    PASSWORD,
    audit_mark,
    audit_since,
    counts,
    issue_token,
    refused_row,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/accounts/users/"
CREATE_URL = "/accounts/users/new/"


def _detail(user: User) -> str:
    return f"/accounts/users/{user.external_id}/"


def _roles(user: User) -> list[str]:
    return sorted(user.role_assignments.values_list("role__code", flat=True))


def _new_user(**overrides) -> dict:
    return {
        "username": "amina",
        "first_name": "Amina",
        "last_name": "Wanjiru",
        "email": "amina@example.org",
        "roles": ["nurse"],
        "password": PASSWORD,
        **overrides,
    }


# Who may see them


@pytest.mark.parametrize("path", [LIST_URL, CREATE_URL])
def test_receptionist_is_refused_and_the_attempt_audited(signed_in, path):
    # given
    client, user = signed_in("receptionist")
    mark = audit_mark()

    # when
    response = client.get(path)

    # then
    assert response.status_code == 403
    assert response.context["needed"] == "accounts.manage_users"
    assert audit_since(mark) == [("read", "denied", user.username, "needs accounts.manage_users")]


def test_receptionist_cannot_post_to_a_user(signed_in, make_user):
    # given
    client, user = signed_in("receptionist")
    nurse = make_user("nurse")
    mark = audit_mark()

    # when
    response = client.post(_detail(nurse), {"action": "deactivate", "reason": ""})

    # then
    nurse.refresh_from_db()
    assert response.status_code == 403
    assert nurse.is_active is True
    assert audit_since(mark) == [("update", "denied", user.username, "needs accounts.manage_users")]


def test_anonymous_visitor_is_sent_to_sign_in(client):
    # when
    response = client.get(LIST_URL)

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={LIST_URL}"


# List


def test_admin_lists_the_users_of_their_facility(signed_in, make_user, other_facility):
    # given
    client, admin = signed_in("admin")
    nurse = make_user("nurse")
    make_user("nurse", at=other_facility, username="elsewhere")

    # when
    response = client.get(LIST_URL)

    # then
    assert response.status_code == 200
    assert [u.username for u in response.context["users"]] == sorted(
        [admin.username, nurse.username]
    )
    assert "elsewhere" not in response.text


def test_admin_searches_users_by_name(signed_in, make_user):
    # given
    client, _ = signed_in("admin")
    make_user("nurse", username="amina")
    make_user("nurse", username="brian")

    # when
    response = client.get(LIST_URL, {"q": "AMI"})

    # then
    assert [u.username for u in response.context["users"]] == ["amina"]


# Create


def test_admin_creates_a_user(signed_in, facility):
    # given
    client, admin = signed_in("admin")
    mark = audit_mark()

    # when
    response = client.post(CREATE_URL, _new_user(roles=["nurse", "doctor"]))

    # then
    user = User.objects.get(username="amina")
    assert response.status_code == 302
    assert response["Location"] == _detail(user)
    assert (user.first_name, user.last_name, user.email) == (
        "Amina",
        "Wanjiru",
        "amina@example.org",
    )
    assert _roles(user) == ["doctor", "nurse"]
    assert audit_since(mark) == [
        ("create", "success", admin.username, "roles doctor, nurse at RGH")
    ]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"username": ""}, {"username": ["This field is required."]}),
        ({"roles": []}, {"roles": ["Choose at least one role."]}),
        (
            {"roles": ["surgeon"]},
            {"roles": ["Select a valid choice. surgeon is not one of the available choices."]},
        ),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        (
            {"first_name": "Amina\x07"},
            {"first_name": ["Contains a control character (U+0007), which is not allowed."]},
        ),
        ({"password": "qwerty123456"}, {"password": ["This password is too common."]}),
        (
            {"username": "amina wanjiru"},
            {
                "username": [
                    "Enter a valid username. This value may contain only letters, numbers, "
                    "and @/./+/-/_ characters."
                ]
            },
        ),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(signed_in, overrides, errors):
    # given
    client, admin = signed_in("admin")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(CREATE_URL, _new_user(**overrides))

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == errors
    assert counts() == before
    assert audit_since(mark) == [refused_row(admin, 400)]


def test_taken_username_is_shown_on_the_form(signed_in, make_user):
    # given
    client, admin = signed_in("admin")
    make_user("nurse", username="amina")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(CREATE_URL, _new_user(username="Amina"))

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {"username": ["The username 'Amina' is taken."]}
    assert counts() == before
    assert audit_since(mark) == [refused_row(admin, 400)]


# One user


def test_admin_views_a_user_and_the_read_is_audited(signed_in, make_user):
    # given
    client, admin = signed_in("admin")
    nurse = make_user("nurse")
    mark = audit_mark()

    # when
    response = client.get(_detail(nurse))

    # then
    assert response.status_code == 200
    assert response.context["subject"] == nurse
    assert response.context["roles_form"].initial == {"roles": ["nurse"]}
    assert audit_since(mark) == [("read", "success", admin.username, "")]


def test_user_of_another_facility_is_not_found(signed_in, make_user, other_facility):
    # given
    client, _ = signed_in("admin")
    outsider = make_user("nurse", at=other_facility)

    # when
    response = client.post(_detail(outsider), {"action": "deactivate", "reason": ""})

    # then
    outsider.refresh_from_db()
    assert response.status_code == 404
    assert outsider.is_active is True


def test_admin_changes_a_users_roles(signed_in, make_user):
    # given
    client, admin = signed_in("admin")
    nurse = make_user("nurse")
    mark = audit_mark()

    # when
    response = client.post(_detail(nurse), {"action": "roles", "roles": ["doctor", "ward_manager"]})

    # then
    assert response.status_code == 302
    assert response["Location"] == _detail(nurse)
    assert _roles(nurse) == ["doctor", "ward_manager"]
    assert audit_since(mark) == [
        ("update", "success", admin.username, "roles at RGH set to doctor, ward_manager")
    ]


def test_roles_form_without_a_role_changes_nothing(signed_in, make_user):
    # given
    client, admin = signed_in("admin")
    nurse = make_user("nurse")
    mark = audit_mark()

    # when
    response = client.post(_detail(nurse), {"action": "roles"})

    # then
    assert response.status_code == 400
    assert response.context["roles_form"].errors == {"roles": ["Choose at least one role."]}
    assert _roles(nurse) == ["nurse"]
    assert audit_since(mark) == [refused_row(admin, 400)]


def test_admin_deactivates_a_user(signed_in, make_user):
    # given
    client, admin = signed_in("admin")
    nurse = make_user("nurse")
    token, _ = issue_token(nurse)
    mark = audit_mark()

    # when
    response = client.post(_detail(nurse), {"action": "deactivate", "reason": "left"})

    # then
    nurse.refresh_from_db()
    token.refresh_from_db()
    assert response.status_code == 302
    assert nurse.is_active is False
    assert token.revoked_at is not None
    assert audit_since(mark) == [("update", "success", admin.username, "deactivated: left")]


def test_deactivated_user_can_no_longer_sign_in(signed_in, make_user, client):
    # given
    admin_client, _ = signed_in("admin")
    nurse = make_user("nurse")
    admin_client.post(_detail(nurse), {"action": "deactivate", "reason": ""})

    # when
    response = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})

    # then
    assert response.status_code == 401


def test_admin_resets_a_users_two_factor(signed_in, make_enrolled):
    # given
    client, admin = signed_in("admin")
    doctor = make_enrolled("doctor")

    # when
    response = client.post(_detail(doctor), {"action": "reset_2fa"})

    # then
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=doctor).exists() is False


def test_admin_lifts_a_lockout(signed_in, make_user, client):
    # given
    admin_client, _ = signed_in("admin")
    nurse = make_user("nurse")
    for _ in range(5):
        client.post("/accounts/login/", {"username": nurse.username, "password": "wrong-pw"})

    # when
    response = admin_client.post(_detail(nurse), {"action": "unlock"})

    # then
    assert response.status_code == 302
    login = client.post("/accounts/login/", {"username": nurse.username, "password": PASSWORD})
    assert login.status_code == 302


def test_unknown_action_changes_nothing(signed_in, make_user):
    # given
    client, admin = signed_in("admin")
    nurse = make_user("nurse")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(_detail(nurse), {"action": "delete"})

    # then
    assert response.status_code == 400
    assert counts() == before
    assert audit_since(mark) == [refused_row(admin, 400)]
