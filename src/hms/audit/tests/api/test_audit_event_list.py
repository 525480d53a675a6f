"""GET /api/v1/audit-events/: the auditor's search over the REST API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from hms.audit.models import AuditEvent
from hms.audit.services import Action, record_event

URL = "/api/v1/audit-events/"


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"username": "nurse_amina"}, ["late_feb28", "feb27"]),
        ({"patient_id": "MRN-1"}, ["mar1", "feb27"]),
        ({"action": "read"}, ["mar1", "feb27"]),
        ({"outcome": "denied"}, ["mar1", "early_mar1"]),
        # days are the facility's (Nairobi): early_mar1 is 28 February in UTC only
        ({"date_from": "2025-02-28", "date_to": "2025-02-28"}, ["late_feb28"]),
        ({"date_from": "2025-03-01", "date_to": "2025-03-02"}, ["mar2", "mar1", "early_mar1"]),
        ({"username": "dr_zoe", "action": "print"}, ["mar2"]),
        ({"patient_id": "MRN-404"}, []),
    ],
)
@pytest.mark.django_db
def test_filters_return_the_matching_events_newest_first(trail, api_client_for, query, expected):
    # given
    auditor = api_client_for("auditor")

    # when
    response = auditor.get(URL, query)

    # then
    assert response.status_code == 200
    assert _ids(response) == [trail[key].id for key in expected]
    assert response.json()["count"] == len(expected)


@pytest.mark.django_db
def test_each_event_carries_its_fields_and_hashes_with_times_in_the_facility_zone(
    trail, api_client_for
):
    # given
    auditor = api_client_for("auditor")
    event = trail["mar1"]

    # when
    response = auditor.get(URL, {"username": "dr_zoe", "outcome": "denied"})

    # then
    assert response.json()["results"] == [
        {
            "id": event.id,
            "at": "2025-03-01T15:00:00+03:00",
            "username": "dr_zoe",
            "roles": "",
            "facility_code": "",
            "action": "read",
            "object_type": "",
            "object_id": "",
            "patient_id": "MRN-1",
            "patients": [{"id": "MRN-1", "name": None, "mrn": None}],
            "source_ip": "",
            "user_agent": "",
            "channel": "system",
            "outcome": "denied",
            "reason": "trail mar1",
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
    ]


@pytest.mark.django_db
def test_results_are_paginated_by_limit_and_offset(trail, api_client_for):
    # given
    auditor = api_client_for("auditor")
    query = {"date_from": "2025-02-27", "date_to": "2025-03-02"}

    # when
    first = auditor.get(URL, {**query, "limit": 2})
    second = auditor.get(URL, {**query, "limit": 2, "offset": 2})
    last = auditor.get(URL, {**query, "limit": 2, "offset": 4})

    # then
    body = first.json()
    assert body["count"] == 5
    assert body["previous"] is None
    assert "limit=2" in body["next"]
    assert "offset=2" in body["next"]
    assert _ids(first) == [trail["mar2"].id, trail["mar1"].id]
    assert _ids(second) == [trail["early_mar1"].id, trail["late_feb28"].id]
    assert _ids(last) == [trail["feb27"].id]
    assert last.json()["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"action": "hack"}, "action"),
        ({"outcome": "maybe"}, "outcome"),
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"username": "nurse\x00"}, "username"),
        ({"patient_id": "x" * 65}, "patient_id"),
        ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_to"),
    ],
)
@pytest.mark.django_db
def test_bad_filter_values_get_400_naming_the_field(api_client_for, query, field):
    # given
    auditor = api_client_for("auditor")

    # when
    response = auditor.get(URL, query)

    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "INVALID_INPUT"
    assert list(body["errors"]) == [field]
    assert body["detail"] == f"Invalid input: {field}."


@pytest.mark.django_db
def test_bad_filter_is_audited_as_a_failure(api_client_for):
    # given
    auditor = api_client_for("auditor", username="auditor_ann")

    # when
    auditor.get(URL, {"action": "hack"})

    # then
    refusal = AuditEvent.objects.order_by("-id").first()
    assert (refusal.username, refusal.outcome, refusal.channel) == ("auditor_ann", "failure", "api")
    assert refusal.object_type == f"api:{URL}"
    assert refusal.reason == "HTTP 400: Invalid input: action."


@pytest.mark.django_db
def test_receptionist_token_gets_403_and_the_refusal_is_audited(trail, api_client_for):
    # given
    clerk = api_client_for("receptionist", username="clerk_bo")
    before = AuditEvent.objects.count()

    # when
    response = clerk.get(URL, {"patient_id": "MRN-1"}, REMOTE_ADDR="10.9.8.7")

    # then
    assert response.status_code == 403
    assert response.json() == {
        "code": "PERMISSION_DENIED",
        "detail": "Your role does not allow this (needs audit.view_events).",
    }
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.order_by("-id").first()
    assert refusal.actor_id == clerk.user.pk
    assert (refusal.action, refusal.outcome) == (Action.READ, "denied")
    assert refusal.object_type == f"api:{URL}"
    assert (refusal.channel, refusal.source_ip, refusal.roles) == (
        "api",
        "10.9.8.7",
        "receptionist",
    )


@pytest.mark.django_db
def test_no_token_gets_401():
    # when
    response = APIClient().get(URL)

    # then
    assert response.status_code == 401
    assert response.json()["code"] == "NOT_AUTHENTICATED"
    assert response["WWW-Authenticate"] == 'Bearer realm="hms"'


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_page(api_client_for):
    # given: a first call has stamped the token's last use
    auditor = api_client_for("auditor")
    auditor.get(URL)

    def queries_for_a_page_of(rows: int) -> int:
        for n in range(rows):
            record_event(action=Action.READ, username=f"bulk{rows}", patient_id=f"MRN-{n}")
        with CaptureQueriesContext(connection) as queries:
            response = auditor.get(URL, {"username": f"bulk{rows}"})
        assert len(_ids(response)) == rows
        return len(queries)

    # when / then
    assert queries_for_a_page_of(2) == queries_for_a_page_of(40)
