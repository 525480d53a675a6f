"""/audit/verify/: the chain check from the browser."""

import io

import pytest
from django.core.management import call_command

from hms.audit.tests.helpers import raw_sql


@pytest.mark.django_db
def test_get_shows_the_button_and_runs_nothing(client_for):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/verify/")

    # then
    assert response.status_code == 200
    assert response.context["report"] is None
    assert b"Verify now" in response.content


@pytest.mark.django_db
def test_post_on_an_intact_chain_says_intact(trail, client_for):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.post("/audit/verify/")

    # then
    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok is True
    assert f"Intact: {report.checked} events checked.".encode() in response.content
    assert report.last_hash.encode() in response.content


@pytest.mark.django_db
def test_post_on_a_tampered_chain_names_the_broken_row(trail, client_for):
    # given
    auditor = client_for("auditor")
    with raw_sql() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET outcome = 'success' WHERE id = %s", [trail["mar1"].id]
        )

    # when
    response = auditor.post("/audit/verify/")

    # then
    assert response.status_code == 200
    row = trail["mar1"].id
    assert response.context["report"].bad_row == row
    assert (
        f"Broken at row {row}: row {row} was altered (its content no longer matches its hash)."
    ).encode() in response.content


@pytest.mark.django_db
def test_post_on_an_emptied_trail_names_the_anchored_rows_as_missing(trail, client_for):
    # given: the trail anchored, then emptied with the guards off
    call_command("audit", "anchor", stdout=io.StringIO())
    auditor = client_for("auditor")
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_chainhead")

    # when
    response = auditor.post("/audit/verify/")

    # then: the chain alone would read as intact
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.ok, report.bad_row) == (False, 1)
    assert report.problem.startswith("rows 1 to 5 are missing (row 5 was anchored at ")
