"""Property: whatever JSON the create endpoint gets, it answers 201, 400 or 409 (never a
500), every refusal has a code and names what is wrong, and a refusal saves nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hms.core.tests.strategies import json_value
from hms.patients.tests.api.conftest import LIST, body
from hms.patients.tests.api.helpers import registry_counts

FIELDS = [
    "given_name",
    "family_name",
    "middle_name",
    "preferred_name",
    "sex",
    "gender_identity",
    "birth_date",
    "birth_date_estimated",
    "age_years",
    "marital_status",
    "language",
    "phone",
    "email",
    "address",
    "consent_sms",
    "is_unknown",
    "is_deceased",
    "deceased_at",
    "identifiers",
    "contacts",
    "duplicate_override_reason",
]
changes = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), json_value, max_size=4
)


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=changes)
def test_any_create_body_is_answered_cleanly(clerk, changes):
    # given
    before = registry_counts()

    # when
    response = clerk.post(LIST, body(**changes), format="json")

    # then
    assert response.status_code in (201, 400, 409), response.content
    after = registry_counts()
    if response.status_code == 201:
        assert after["patients"] == before["patients"] + 1
    else:
        answer = response.json()
        assert answer["code"]
        assert answer["detail"]
        assert "field" in answer or "errors" in answer
        assert after == before
