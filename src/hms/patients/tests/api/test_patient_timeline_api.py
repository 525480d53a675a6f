"""GET and POST /api/v1/patients/<id>/timeline/, and GET .../duplicates/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hms.patients.models import TimelineEntry
from hms.patients.tests.api.conftest import detail_url
from hms.patients.tests.api.helpers import reads_of, refused_field


@pytest.mark.django_db
def test_timeline_lists_interactions_newest_first_and_is_audited(clerk, register):
    # given
    patient = register()
    clerk.post(
        f"{detail_url(patient)}timeline/",
        {"kind": "call", "summary": "Reminded about the clinic", "outcome": "answered"},
        format="json",
    )

    # when
    response = clerk.get(f"{detail_url(patient)}timeline/")

    # then
    assert response.status_code == 200
    entries = response.json()
    assert [e["kind"] for e in entries] == ["call", "registered"]
    assert entries[0]["detail"] == {"outcome": "answered"}
    assert entries[0]["actor"] == clerk.user.username
    assert reads_of(patient) == 1


@pytest.mark.django_db
def test_log_a_note_with_its_time(api_client_for, register):
    # given: doctors log contact too
    patient = register()
    doctor = api_client_for("doctor")
    when = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)

    # when
    response = doctor.post(
        f"{detail_url(patient)}timeline/",
        {"kind": "note", "summary": "Asked for the lab results by SMS", "occurred_at": when},
        format="json",
    )

    # then
    assert response.status_code == 201, response.content
    entry = TimelineEntry.objects.get(kind="note")
    assert entry.occurred_at == when
    assert entry.patient == patient


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "visit", "summary": "x"}, "kind"),
        ({"kind": "call", "summary": ""}, "summary"),
        ({"kind": "call", "summary": "s" * 301}, "summary"),
        ({"kind": "call", "summary": 5}, "summary"),
        ({"kind": "call", "summary": "ok", "outcome": "o" * 51}, "outcome"),
        ({"kind": "call", "summary": "ok", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"kind": "call", "summary": "ok", "occurred_at": "last week"}, "occurred_at"),
        ({"kind": "call", "summary": "ok", "mood": "fine"}, "mood"),
    ],
)
@pytest.mark.django_db
def test_bad_log_is_400_and_writes_nothing(clerk, register, payload, field):
    # given
    patient = register()
    before = TimelineEntry.objects.count()

    # when
    response = clerk.post(f"{detail_url(patient)}timeline/", payload, format="json")

    # then
    assert response.status_code == 400
    assert refused_field(response) == field
    assert TimelineEntry.objects.count() == before


@pytest.mark.django_db
def test_a_pharmacist_may_not_log_contact(api_client_for, register):
    # given
    patient = register()

    # when
    response = api_client_for("pharmacist").post(
        f"{detail_url(patient)}timeline/", {"kind": "call", "summary": "x"}, format="json"
    )

    # then
    assert response.status_code == 403


@pytest.mark.django_db
def test_duplicates_of_a_record_leave_out_the_record_itself(clerk, register):
    # given
    patient = register(given_name="Grace", family_name="Mwangi", sex="female", phone="0711000222")
    twin = register(given_name="Grace", family_name="Mwangi", sex="female", phone="0711000222")
    stranger = register(given_name="Peter", family_name="Kariuki", sex="male")

    # when
    response = clerk.get(f"{detail_url(patient)}duplicates/")

    # then
    assert response.status_code == 200
    matches = response.json()
    assert [m["patient"]["id"] for m in matches] == [str(twin.external_id)]
    assert matches[0]["score"] >= 0.75
    assert matches[0]["reasons"]
    assert reads_of(patient) == 1
    assert reads_of(twin) == 1
    assert reads_of(stranger) == 0
