"""POST /api/v1/patients/merge/ and /api/v1/patient-merges/<id>/undo/."""

from __future__ import annotations

import uuid

import pytest

from hms.patients.models import Patient, PatientMerge
from hms.patients.tests.api.conftest import detail_url
from hms.patients.tests.api.helpers import refused_field

MERGE = "/api/v1/patients/merge/"


def _undo_url(merge_id) -> str:
    return f"/api/v1/patient-merges/{merge_id}/undo/"


@pytest.fixture
def records_officer(api_client_for):
    return api_client_for("ward_manager")


@pytest.fixture
def pair(register):
    survivor = register(given_name="Grace", family_name="Mwangi", sex="female")
    merged = register(given_name="Grace", family_name="Mwangi", sex="female")
    return survivor, merged


@pytest.mark.django_db
def test_merge_then_undo(records_officer, pair):
    # given
    survivor, merged = pair

    # when
    merging = records_officer.post(
        MERGE,
        {
            "survivor": str(survivor.external_id),
            "merged": str(merged.external_id),
            "reason": "Same national ID",
        },
        format="json",
    )

    # then
    assert merging.status_code == 201, merging.content
    answer = merging.json()
    assert (answer["survivor"], answer["merged"], answer["undone_at"]) == (
        str(survivor.external_id),
        str(merged.external_id),
        None,
    )
    assert Patient.objects.get(pk=merged.pk).status == Patient.Status.MERGED
    assert records_officer.get(detail_url(merged)).json()["merged_into"] == str(
        survivor.external_id
    )

    # when
    undoing = records_officer.post(
        _undo_url(answer["id"]), {"reason": "Twins after all"}, format="json"
    )

    # then
    assert undoing.status_code == 200, undoing.content
    assert undoing.json()["undone_at"] is not None
    assert Patient.objects.get(pk=merged.pk).status == Patient.Status.ACTIVE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": 5}, "reason"),
        ({"survivor": "not-a-uuid"}, "survivor"),
        ({"merged": None}, "merged"),
        ({"extra": 1}, "extra"),
    ],
)
@pytest.mark.django_db
def test_bad_merge_request_is_400(records_officer, pair, change, field):
    # given
    survivor, merged = pair
    payload = {
        "survivor": str(survivor.external_id),
        "merged": str(merged.external_id),
        "reason": "dup",
    }

    # when
    response = records_officer.post(MERGE, {**payload, **change}, format="json")

    # then
    assert response.status_code == 400
    assert refused_field(response) == field
    assert PatientMerge.objects.count() == 0


@pytest.mark.django_db
def test_a_record_cannot_merge_into_itself(records_officer, pair):
    # given
    survivor, _ = pair

    # when
    response = records_officer.post(
        MERGE,
        {
            "survivor": str(survivor.external_id),
            "merged": str(survivor.external_id),
            "reason": "dup",
        },
        format="json",
    )

    # then
    assert response.status_code == 400
    assert refused_field(response) == "merged"


@pytest.mark.django_db
def test_merging_an_already_merged_record_is_409(records_officer, pair, register):
    # given
    survivor, merged = pair
    third = register(given_name="Grace", family_name="Mwangi", sex="female")
    ids = {"survivor": str(survivor.external_id), "merged": str(merged.external_id)}
    records_officer.post(MERGE, {**ids, "reason": "dup"}, format="json")

    # when
    response = records_officer.post(
        MERGE,
        {"survivor": str(third.external_id), "merged": str(merged.external_id), "reason": "dup"},
        format="json",
    )

    # then
    assert response.status_code == 409
    assert PatientMerge.objects.count() == 1


@pytest.mark.django_db
def test_unknown_records_and_merges_are_404(records_officer, pair):
    # given
    survivor, _ = pair

    # when
    merge = records_officer.post(
        MERGE,
        {"survivor": str(survivor.external_id), "merged": str(uuid.uuid4()), "reason": "dup"},
        format="json",
    )
    undo = records_officer.post(_undo_url(uuid.uuid4()), {"reason": "x"}, format="json")

    # then
    assert merge.status_code == 404
    assert undo.status_code == 404


@pytest.mark.django_db
def test_a_receptionist_may_not_merge(api_client_for, pair):
    # given
    survivor, merged = pair

    # when
    response = api_client_for("receptionist").post(
        MERGE,
        {"survivor": str(survivor.external_id), "merged": str(merged.external_id), "reason": "dup"},
        format="json",
    )

    # then
    assert response.status_code == 403
    assert PatientMerge.objects.count() == 0
