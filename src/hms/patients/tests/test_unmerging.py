"""unmerge_patients: a merge undone moves exactly the recorded rows back."""

from __future__ import annotations

import pytest

from hms.audit.models import AuditEvent
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.patients import merging
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.models import (
    DuplicateCandidate,
    Patient,
    PatientContact,
    PatientMerge,
    TimelineEntry,
)
from hms.patients.tests.mpi_helpers import (
    add_contact,
    make_contacts_movable,
    register,
    snapshot,
)

CONTACTS = "patients.PatientContact.patient"


@pytest.fixture
def officer(make_user):
    return make_user("ward_manager")


@pytest.fixture
def contacts_move(monkeypatch):
    return make_contacts_movable(monkeypatch)


@pytest.fixture
def merged_pair(facility, officer):
    survivor = register(facility, given_name="Akinyi")
    merged = register(facility, given_name="Akinyi")
    low, high = sorted((survivor.pk, merged.pk))
    DuplicateCandidate.objects.create(patient_id=low, other_id=high, score=0.95)
    merge = merging.merge_patients(
        actor=officer, survivor=survivor, merged=merged, reason="Same person"
    )
    return survivor, merged, merge


@pytest.mark.django_db
def test_unmerge_restores_the_record_and_reopens_the_pair(officer, merged_pair):
    # given
    survivor, merged, merge = merged_pair

    # when
    undone = merging.unmerge_patients(actor=officer, merge=merge, reason="Twins after all")

    # then
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into) == (Patient.Status.ACTIVE, None)
    assert (undone.undone_by, undone.undone_at is not None) == (officer, True)
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.status, candidate.decided_by) == (DuplicateCandidate.Status.OPEN, None)
    for patient in (survivor, merged):
        assert TimelineEntry.objects.filter(
            patient=patient, kind=TimelineEntry.Kind.UNMERGED
        ).exists()
    audited = AuditEvent.objects.filter(object_id=str(merge.external_id), reason__contains="unm")
    assert sorted(audited.values_list("patient_id", flat=True)) == sorted(
        [str(survivor.external_id), str(merged.external_id)]
    )


@pytest.mark.django_db
def test_unmerge_moves_back_exactly_the_rows_that_moved(officer, facility, contacts_move):
    # given: a merge moved two contacts; the survivor gained a new one since
    survivor, merged = register(facility), register(facility)
    kept = add_contact(survivor, "Survivor's own")
    moved = [add_contact(merged, "Mother"), add_contact(merged, "Father")]
    merge = merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason="x")
    added_since = add_contact(survivor, "Added after the merge")

    # when
    merging.unmerge_patients(actor=officer, merge=merge, reason="Different people")

    # then
    assert set(PatientContact.objects.filter(patient=merged)) == set(moved)
    assert set(PatientContact.objects.filter(patient=survivor)) == {kept, added_since}


@pytest.mark.django_db
def test_a_moved_row_that_left_the_survivor_stops_the_unmerge(officer, facility, contacts_move):
    # given
    survivor, merged, elsewhere = register(facility), register(facility), register(facility)
    moving = [add_contact(merged, "Mother"), add_contact(merged, "Father")]
    merge = merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason="x")
    PatientContact.objects.filter(pk=moving[1].pk).update(patient=elsewhere)
    before = snapshot()

    # when
    with pytest.raises(Conflict) as refused:
        merging.unmerge_patients(actor=officer, merge=merge, reason="Different people")

    # then
    assert refused.value.code == Code.CANNOT_UNMERGE
    assert "nothing was changed" in refused.value.message
    assert snapshot() == before
    assert PatientContact.objects.get(pk=moving[0].pk).patient == survivor


@pytest.mark.django_db
def test_an_undone_merge_cannot_be_undone_again(officer, merged_pair):
    _, _, merge = merged_pair
    merging.unmerge_patients(actor=officer, merge=merge, reason="Different people")
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        merging.unmerge_patients(actor=officer, merge=merge, reason="Again")

    assert refused.value.code == Code.CANNOT_UNMERGE
    assert "already undone" in refused.value.message
    assert snapshot() == before


@pytest.mark.django_db
def test_unmerge_waits_for_the_survivors_own_merge_to_be_undone(officer, merged_pair, facility):
    # given: the survivor was itself merged into a third record since
    survivor, merged, first = merged_pair
    third = register(facility, given_name="Akinyi")
    second = merging.merge_patients(actor=officer, survivor=third, merged=survivor, reason="Same")
    before = snapshot()

    # when
    with pytest.raises(Conflict) as refused:
        merging.unmerge_patients(actor=officer, merge=first, reason="Different people")

    # then
    assert refused.value.code == Code.CANNOT_UNMERGE
    assert f"MRN {survivor.mrn} has been merged into MRN {third.mrn}" in refused.value.message
    assert "undo that merge first" in refused.value.message
    assert snapshot() == before

    # and once the later merge is undone, the first can be
    merging.unmerge_patients(actor=officer, merge=second, reason="Different people")
    merging.unmerge_patients(actor=officer, merge=first, reason="Different people")
    assert Patient.objects.filter(status=Patient.Status.ACTIVE).count() == 3


@pytest.mark.django_db
def test_a_record_can_be_merged_again_after_an_unmerge(officer, merged_pair):
    survivor, merged, merge = merged_pair
    merging.unmerge_patients(actor=officer, merge=merge, reason="Wrong survivor")

    again = merging.merge_patients(actor=officer, survivor=merged, merged=survivor, reason="Same")

    assert PatientMerge.objects.count() == 2
    assert again.survivor == merged


@pytest.mark.django_db
def test_unmerge_needs_the_permission_and_a_reason(make_user, officer, merged_pair):
    _, _, merge = merged_pair
    clerk = make_user("receptionist")
    before = snapshot()

    with pytest.raises(NotPermitted):
        merging.unmerge_patients(actor=clerk, merge=merge, reason="Different people")
    with pytest.raises(InvalidInput) as no_reason:
        merging.unmerge_patients(actor=officer, merge=merge, reason="")

    assert no_reason.value.field == "reason"
    assert snapshot() == before
