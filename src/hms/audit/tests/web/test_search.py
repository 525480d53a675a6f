"""The auditor's search page /audit/ and its htmx results fragment."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hms.audit.services import Action, record_event


def _ids(response) -> list[int]:
    return [event.id for event in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"username": "nurse_amina"}, ["late_feb28", "feb27"]),
        ({"username": "NURSE_Amina"}, ["late_feb28", "feb27"]),
        ({"patient_id": "MRN-1"}, ["mar1", "feb27"]),
        ({"action": "read"}, ["mar1", "feb27"]),
        ({"outcome": "denied"}, ["mar1", "early_mar1"]),
        # days are the facility's (Nairobi): early_mar1 is 28 February in UTC only
        ({"date_from": "2025-02-28", "date_to": "2025-02-28"}, ["late_feb28"]),
        ({"date_from": "2025-03-01", "date_to": "2025-03-02"}, ["mar2", "mar1", "early_mar1"]),
        ({"date_to": "2025-02-27"}, ["feb27"]),
        ({"username": "dr_zoe", "outcome": "denied"}, ["mar1"]),
        ({"patient_id": "MRN-404"}, []),
    ],
)
@pytest.mark.django_db
def test_filters_return_the_matching_events_newest_first(trail, client_for, query, expected):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/", query)

    # then
    assert response.status_code == 200
    assert _ids(response) == [trail[key].id for key in expected]


@pytest.mark.django_db
def test_without_filters_every_event_is_listed(trail, client_for):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/")

    # then: the trail plus the auditor's own account creation
    assert response.status_code == 200
    ids = _ids(response)
    assert ids == sorted(ids, reverse=True)
    assert {e.id for e in trail.values()} < set(ids)
    assert b"<form" in response.content


@pytest.mark.django_db
def test_htmx_request_gets_only_the_results_fragment(trail, client_for):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/", {"patient_id": "MRN-1"}, headers={"HX-Request": "true"})

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith('<div id="results">')
    assert "<form" not in html
    assert "<html" not in html
    assert "trail mar1" in html
    assert "trail feb27" in html
    assert "trail mar2" not in html


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "yesterday"},
        {"date_to": "2025-02-30"},
        {"date_from": "2025-03-02", "date_to": "2025-03-01"},
        {"action": "hack"},
        {"outcome": "maybe"},
        {"username": "nurse\x00"},
    ],
)
@pytest.mark.django_db
def test_bad_filters_get_400_and_no_results(trail, client_for, query):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/", query)

    # then
    assert response.status_code == 400
    assert response.context["page"] is None
    assert b"Fix the filters" in response.content


@pytest.mark.django_db
def test_end_date_before_start_date_is_explained_on_the_field(client_for):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/", {"date_from": "2025-03-02", "date_to": "2025-03-01"})

    # then
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "date_to": ["The end date is before the start date."]
    }


@pytest.mark.django_db
def test_results_are_paged_by_50(client_for):
    # given
    auditor = client_for("auditor")
    for n in range(55):
        record_event(action=Action.READ, username="bulk", reason=f"bulk {n}")

    # when
    first = auditor.get("/audit/", {"username": "bulk"})
    second = auditor.get("/audit/", {"username": "bulk", "page": 2})

    # then
    assert len(_ids(first)) == 50
    assert len(_ids(second)) == 5
    assert set(_ids(first)).isdisjoint(_ids(second))
    assert b"Page 1 of 2" in first.content


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_rows_shown(client_for):
    # given
    auditor = client_for("auditor")

    def queries_for_a_page_of(rows: int) -> int:
        for n in range(rows):
            record_event(action=Action.READ, username=f"bulk{rows}", patient_id=f"MRN-{n}")
        with CaptureQueriesContext(connection) as queries:
            response = auditor.get("/audit/", {"username": f"bulk{rows}"})
        assert len(_ids(response)) == rows
        return len(queries)

    # when / then
    assert queries_for_a_page_of(2) == queries_for_a_page_of(40)
