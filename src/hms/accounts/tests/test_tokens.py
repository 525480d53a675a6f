"""API bearer tokens: authentication, refusals, storage, roles, issue and revoke."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from hms.accounts import services
from hms.accounts.errors import AccountErrorCode
from hms.accounts.models import ApiToken, Role, RoleAssignment
from hms.accounts.permissions import ROLES, RoleCode
from hms.accounts.tests.helpers import (
    ME_URL,
    audit_mark,
    audit_since,
    counts,
    issue_token,
    refused_row,
)
from hms.core.errors import InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

TOKENS_URL = "/api/v1/tokens/"
AUDIT_URL = "/api/v1/audit-events/"
REFUSED = {"code": "AUTHENTICATION_FAILED", "detail": "Invalid, expired or revoked token."}


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _assert_refused(response) -> None:
    assert response.status_code == 401
    assert response.json() == REFUSED
    assert response["WWW-Authenticate"] == 'Bearer realm="hms"'


def test_bearer_token_authenticates_with_the_users_roles_and_facility(make_user):
    # given
    user = make_user("receptionist", "nurse")
    _, raw = issue_token(user)

    # when
    response = _bearer(raw).get(ME_URL)

    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.external_id),
        "username": user.username,
        "full_name": "",
        "facility": "RGH",
        "roles": ["nurse", "receptionist"],
        "permissions": sorted(
            ROLES[RoleCode.NURSE].permissions | ROLES[RoleCode.RECEPTIONIST].permissions
        ),
    }


def test_token_reads_roles_of_active_facilities_only(make_user, facility, other_facility):
    """The token's statement also reads the user's roles: those of a closed facility
    are left out, and a user without roles is signed in with none."""
    user = make_user("receptionist")
    closed = type(facility).objects.create(name="Old Annex", code="OLD", is_active=False)
    for where, code in ((other_facility, "nurse"), (closed, "doctor")):
        RoleAssignment.objects.create(user=user, facility=where, role=Role.objects.get(code=code))
    _, raw = issue_token(user)

    home = _bearer(raw).get(ME_URL, HTTP_X_HMS_FACILITY="RGH").json()
    other = _bearer(raw).get(ME_URL).json()  # the first by name when none is asked for
    closed_asked = _bearer(raw).get(ME_URL, HTTP_X_HMS_FACILITY="OLD").json()

    assert (home["facility"], home["roles"]) == ("RGH", ["receptionist"])
    assert (other["facility"], other["roles"]) == ("HSC", ["nurse"])
    assert closed_asked["facility"] != "OLD"
    assert "doctor" not in closed_asked["roles"]
    bare = make_user("receptionist")
    _, bare_raw = issue_token(bare)
    RoleAssignment.objects.filter(user=bare).delete()
    answer = _bearer(bare_raw).get(ME_URL)
    assert answer.status_code == 200
    assert (answer.json()["facility"], answer.json()["roles"]) == (None, [])


def test_using_a_token_records_when_it_was_last_used(make_user, clock):
    # given
    token, raw = issue_token(make_user("receptionist"))

    # when
    _bearer(raw).get(ME_URL)

    # then
    token.refresh_from_db()
    assert token.last_used_at == timezone.now()


def test_token_is_stored_only_as_its_sha256_digest(make_user):
    # when
    token, raw = issue_token(make_user("receptionist"))

    # then
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert row["prefix"] == raw[:10]
    assert raw.startswith("hms_")
    assert all(raw not in str(value) for value in row.values())


def test_unknown_token_is_refused_and_audited(make_user):
    # given
    make_user("receptionist")
    before = counts()
    mark = audit_mark()

    # when
    response = _bearer("hms_not-a-real-token").get(ME_URL)

    # then
    _assert_refused(response)
    assert counts() == before
    assert audit_since(mark) == [("login_failed", "denied", "", "unknown API token")]


def test_expired_token_is_refused_and_audited(make_user, clock):
    # given
    user = make_user("receptionist")
    token, raw = issue_token(user, days=7)
    clock.shift(timedelta(days=7))
    mark = audit_mark()

    # when
    response = _bearer(raw).get(ME_URL)

    # then
    _assert_refused(response)
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, f"expired API token {token.prefix}")
    ]


def test_token_works_until_its_last_second(make_user, clock):
    # given
    _, raw = issue_token(make_user("receptionist"), days=7)
    clock.shift(timedelta(days=7) - timedelta(seconds=1))

    # when
    response = _bearer(raw).get(ME_URL)

    # then
    assert response.status_code == 200


def test_revoked_token_is_refused_and_audited(make_user):
    # given
    user = make_user("receptionist")
    token, raw = issue_token(user)
    services.revoke_token(actor=user, token=token)
    mark = audit_mark()

    # when
    response = _bearer(raw).get(ME_URL)

    # then
    _assert_refused(response)
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, f"revoked API token {token.prefix}")
    ]


def test_token_of_a_deactivated_user_is_refused_and_audited(make_user):
    # given: deactivated directly, so the token itself is still unrevoked
    user = make_user("receptionist")
    token, raw = issue_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    mark = audit_mark()

    # when
    response = _bearer(raw).get(ME_URL)

    # then
    _assert_refused(response)
    assert audit_since(mark) == [
        ("login_failed", "denied", user.username, f"API token {token.prefix} of an inactive user")
    ]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer two parts", "Bearer t\u00f6ken"],
)
def test_malformed_authorization_header_is_refused(make_user, header):
    # given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    mark = audit_mark()

    # when
    response = client.get(ME_URL)

    # then
    _assert_refused(response)
    assert audit_since(mark) == [("login_failed", "denied", "", "malformed Authorization header")]


def test_request_without_credentials_is_refused(db):
    # given
    mark = audit_mark()

    # when
    response = APIClient().get(ME_URL)

    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "NOT_AUTHENTICATED",
        "detail": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="hms"'
    assert audit_since(mark) == [
        refused_row(
            None, 401, action="read", detail="Authentication credentials were not provided."
        )
    ]


def test_receptionist_token_cannot_read_the_audit_trail(api_client_for):
    # given
    client = api_client_for("receptionist")
    mark = audit_mark()

    # when
    response = client.get(AUDIT_URL)

    # then
    assert response.status_code == 403
    assert response.json() == {
        "code": "PERMISSION_DENIED",
        "detail": "Your role does not allow this (needs audit.view_events).",
    }
    assert audit_since(mark) == [
        (
            "read",
            "denied",
            client.user.username,
            "HTTP 403: Your role does not allow this (needs audit.view_events).",
        )
    ]


def test_auditor_token_reads_the_audit_trail(api_client_for):
    # given
    client = api_client_for("auditor")

    # when
    response = client.get(AUDIT_URL)

    # then
    assert response.status_code == 200
    assert response.json()["count"] >= 1


def test_token_loses_a_role_when_the_user_does(api_client_for, facility):
    # given
    client = api_client_for("auditor")
    assert client.get(AUDIT_URL).status_code == 200

    # when
    services.assign_roles(
        actor=None,
        user=client.user,
        facility=facility,
        roles=["receptionist"],
        skip_permission_checks=True,
    )

    # then
    assert client.get(AUDIT_URL).status_code == 403


def test_issuing_a_token_over_the_api_returns_it_once(api_client_for, clock):
    # given
    client = api_client_for("receptionist")
    mark = audit_mark()

    # when
    response = client.post(TOKENS_URL, {"name": "lab feed", "expires_days": 30}, format="json")

    # then
    body = response.json()
    token = ApiToken.objects.get(external_id=body["id"])
    assert response.status_code == 201
    assert body["name"] == "lab feed"
    assert body["prefix"] == body["token"][:10]
    assert token.digest == hashlib.sha256(body["token"].encode()).hexdigest()
    assert token.expires_at == timezone.now() + timedelta(days=30)
    assert _bearer(body["token"]).get(ME_URL).status_code == 200
    listed = [t for t in client.get(TOKENS_URL).json() if t["id"] == body["id"]]
    assert sorted(listed[0]) == [
        "created_at",
        "expires_at",
        "id",
        "last_used_at",
        "name",
        "prefix",
        "revoked_at",
    ]
    assert audit_since(mark)[0] == (
        "create",
        "success",
        client.user.username,
        f"API token {token.prefix} for {client.user.username}, 30 days",
    )


@pytest.mark.parametrize("days", [0, 367, -1])
def test_expiry_out_of_range_is_refused_naming_the_field(api_client_for, days):
    # given
    client = api_client_for("receptionist")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(TOKENS_URL, {"name": "feed", "expires_days": days}, format="json")

    # then
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "INVALID_INPUT"
    assert body["detail"] == "Invalid input: expires_days."
    assert list(body["errors"]) == ["expires_days"]
    assert counts() == before
    assert audit_since(mark) == [
        ("create", "failure", client.user.username, "HTTP 400: Invalid input: expires_days.")
    ]


def test_revoking_a_token_over_the_api(api_client_for, make_user):
    # given
    client = api_client_for("receptionist")
    token, raw = issue_token(client.user)
    mark = audit_mark()

    # when
    response = client.post(f"{TOKENS_URL}{token.external_id}/revoke/")

    # then
    token.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert token.revoked_at is not None
    assert _bearer(raw).get(ME_URL).status_code == 401
    assert audit_since(mark)[0] == ("update", "success", client.user.username, "API token revoked")


def test_someone_elses_token_cannot_be_revoked(api_client_for, make_user):
    # given
    client = api_client_for("admin")
    token, raw = issue_token(make_user("receptionist"))
    mark = audit_mark()

    # when
    response = client.post(f"{TOKENS_URL}{token.external_id}/revoke/")

    # then: not even told it exists; the attempt is on the trail, with the token asked for
    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None
    [(action, outcome, username, reason)] = audit_since(mark)
    assert (action, outcome, username) == ("create", "not_found", client.user.username)
    assert str(token.external_id) in reason
    assert _bearer(raw).get(ME_URL).status_code == 200


def test_issue_token_service_refuses_tokens_for_someone_else(make_user, facility):
    # given
    admin = make_user("admin")
    other = make_user("receptionist")
    before = counts()

    # when
    with pytest.raises(NotPermitted):
        services.issue_token(actor=admin, user=other, name="x", days=1, facility=facility)

    # then
    assert counts() == before


@pytest.mark.parametrize("days", [0, 367, True, "7"])
def test_issue_token_service_refuses_bad_expiry(make_user, days):
    # given
    user = make_user("receptionist")
    before = counts()
    mark = audit_mark()

    # when
    with pytest.raises(InvalidInput) as exc:
        services.issue_token(
            actor=None, user=user, name="x", days=days, skip_permission_checks=True
        )

    # then
    assert exc.value.code == AccountErrorCode.INVALID_EXPIRY
    assert exc.value.field == "expires_days"
    assert counts() == before
    assert audit_since(mark) == []
