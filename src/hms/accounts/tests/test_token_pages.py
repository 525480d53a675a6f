"""The API-token page (/accounts/tokens/): issue, show once, revoke."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from hms.accounts.models import ApiToken
from hms.accounts.tests.helpers import (
    ME_URL,
    audit_mark,
    audit_since,
    counts,
    issue_token,
    refused_row,
)

pytestmark = pytest.mark.django_db

TOKENS_PAGE = "/accounts/tokens/"


def test_staff_member_issues_a_token_shown_once(signed_in):
    # given
    client, user = signed_in("receptionist")

    # when
    response = client.post(TOKENS_PAGE, {"name": "lab feed", "expires_days": 30})

    # then
    raw = response.context["new_token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert raw in response.text
    assert list(ApiToken.objects.filter(user=user).values_list("name", flat=True)) == ["lab feed"]
    assert api.get(ME_URL).status_code == 200
    assert raw not in client.get(TOKENS_PAGE).text


def test_expiry_out_of_range_is_shown_on_the_form(signed_in):
    # given
    client, user = signed_in("receptionist")
    before = counts()
    mark = audit_mark()

    # when
    response = client.post(TOKENS_PAGE, {"name": "feed", "expires_days": 0})

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "expires_days": ["Ensure this value is greater than or equal to 1."]
    }
    assert counts() == before
    assert audit_since(mark) == [refused_row(user, 400)]


def test_staff_member_revokes_their_token(signed_in):
    # given
    client, user = signed_in("receptionist")
    token, _ = issue_token(user)

    # when
    response = client.post(f"{TOKENS_PAGE}{token.external_id}/revoke/")

    # then
    token.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == TOKENS_PAGE
    assert token.revoked_at is not None


def test_someone_elses_token_cannot_be_revoked_from_the_page(signed_in, make_user):
    # given
    client, _ = signed_in("admin")
    owner = make_user("nurse")
    token, _ = issue_token(owner)

    # when
    response = client.post(f"{TOKENS_PAGE}{token.external_id}/revoke/")

    # then
    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None


def test_role_without_api_access_is_refused(signed_in):
    # given: patients hold no staff permissions
    client, user = signed_in("patient")
    mark = audit_mark()

    # when
    response = client.post(TOKENS_PAGE, {"name": "feed", "expires_days": 30})

    # then
    assert response.status_code == 403
    assert ApiToken.objects.exists() is False
    assert audit_since(mark) == [
        ("update", "denied", user.username, "needs accounts.use_api_tokens")
    ]
