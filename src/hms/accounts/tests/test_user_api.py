"""User administration over the REST API (/api/v1/users/): thin, over the same service."""

from __future__ import annotations

import pytest

from hms.accounts.models import User
from hms.accounts.tests.helpers import PASSWORD, audit_mark, audit_since, counts, refused_row

pytestmark = pytest.mark.django_db

USERS_URL = "/api/v1/users/"


def _body(**overrides) -> dict:
    return {"username": "amina", "password": PASSWORD, "roles": ["nurse"], **overrides}


def test_admin_creates_a_user(api_client_for):
    # given
    client = api_client_for("admin")
    mark = audit_mark()

    # when
    response = client.post(USERS_URL, _body(first_name="Amina"), format="json")

    # then
    user = User.objects.get(username="amina")
    assert response.status_code == 201
    assert response.json() == {
        "id": str(user.external_id),
        "username": "amina",
        "first_name": "Amina",
        "last_name": "",
        "is_active": True,
    }
    assert audit_since(mark) == [("create", "success", client.user.username, "roles nurse at RGH")]


def test_taken_username_is_refused_naming_the_field(api_client_for, make_user):
    # given
    client = api_client_for("admin")
    make_user("nurse", username="amina")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(USERS_URL, _body(username="AMINA"), format="json")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "code": "USERNAME_TAKEN",
        "detail": "The username 'AMINA' is taken.",
        "field": "username",
    }
    assert counts() == before
    assert audit_since(mark) == [
        refused_row(client.user, 400, detail="The username 'AMINA' is taken.")
    ]


def test_unknown_role_is_refused_naming_the_field(api_client_for):
    # given
    client = api_client_for("admin")
    before = counts()

    # when
    response = client.post(USERS_URL, _body(roles=["surgeon"]), format="json")

    # then
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input: roles."
    assert list(response.json()["errors"]) == ["roles"]
    assert counts() == before


def test_receptionist_may_not_create_users(api_client_for):
    # given
    client = api_client_for("receptionist")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(USERS_URL, _body(), format="json")

    # then
    detail = "Your role does not allow this (needs accounts.manage_users)."
    assert response.status_code == 403
    assert response.json() == {"code": "PERMISSION_DENIED", "detail": detail}
    assert counts() == before
    assert audit_since(mark) == [refused_row(client.user, 403, detail=detail)]


def test_admin_lists_only_the_users_of_their_facility(api_client_for, make_user, other_facility):
    # given
    client = api_client_for("admin")
    nurse = make_user("nurse")
    make_user("nurse", at=other_facility)

    # when
    response = client.get(USERS_URL)

    # then
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == sorted(
        [client.user.username, nurse.username]
    )
