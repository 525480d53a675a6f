"""merge_patients: two records of one person become one, and nothing is half-saved."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from hms.audit.models import AuditEvent
from hms.core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hms.patients import merging, selectors
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.inputs import IdentifierInput
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
    return make_user("ward_manager")  # a role holding MERGE_PATIENTS


@pytest.fixture
def pair(facility):
    survivor = register(facility, given_name="Grace", national_id="20304050")
    merged = register(
        facility,
        given_name="Grace",
        identifiers=(IdentifierInput(system="passport", value="A2030405"),),
    )
    return survivor, merged


@pytest.fixture
def contacts_move(monkeypatch):
    return make_contacts_movable(monkeypatch)


@pytest.mark.django_db
def test_merge_marks_the_record_merged_and_writes_it_down(officer, pair):
    # given
    survivor, merged = pair
    low, high = sorted((survivor.pk, merged.pk))
    candidate = DuplicateCandidate.objects.create(patient_id=low, other_id=high, score=0.9)

    # when
    merge = merging.merge_patients(
        actor=officer, survivor=survivor, merged=merged, reason="Same national ID"
    )

    # then
    merged.refresh_from_db()
    candidate.refresh_from_db()
    assert (merged.status, merged.merged_into) == (Patient.Status.MERGED, survivor)
    assert (merge.survivor, merge.merged, merge.reason) == (survivor, merged, "Same national ID")
    assert (merge.created_by, merge.undone_at) == (officer, None)
    assert merge.moved == {}
    assert (candidate.status, candidate.decided_by) == (DuplicateCandidate.Status.MERGED, officer)
    audited = AuditEvent.objects.filter(object_id=str(merge.external_id))
    assert sorted(audited.values_list("patient_id", flat=True)) == sorted(
        [str(survivor.external_id), str(merged.external_id)]
    )
    assert all("merged" in reason for reason in audited.values_list("reason", flat=True))


@pytest.mark.django_db
def test_merged_record_keeps_its_identifiers_and_history_shown_on_the_survivor(officer, pair):
    # given
    survivor, merged = pair
    merged_history = list(TimelineEntry.objects.filter(patient=merged).values_list("pk", flat=True))

    # when
    merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason="Same person")

    # then
    assert merged.identifiers.count() == 1
    assert survivor.identifiers.count() == 1
    timeline = selectors.patient_timeline(patient=survivor)
    shown = {entry.pk for entry in timeline}
    assert set(merged_history) <= shown
    kinds = [(e.patient_id, e.kind) for e in timeline if e.kind == TimelineEntry.Kind.MERGED]
    assert sorted(kinds) == sorted(
        [(survivor.pk, TimelineEntry.Kind.MERGED), (merged.pk, TimelineEntry.Kind.MERGED)]
    )
    note = TimelineEntry.objects.get(patient=survivor, kind=TimelineEntry.Kind.MERGED)
    assert f"MRN {merged.mrn} merged into this record" in note.summary


@pytest.mark.django_db
def test_merge_moves_every_movable_row_and_records_it(officer, pair, contacts_move):
    # given
    survivor, merged = pair
    kept = add_contact(survivor, "Already the survivor's")
    moving = [add_contact(merged, "Mother"), add_contact(merged, "Brother")]

    # when
    merge = merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason="Same")

    # then
    assert set(PatientContact.objects.filter(patient=survivor)) == {kept, *moving}
    assert not PatientContact.objects.filter(patient=merged).exists()
    assert merge.moved == {CONTACTS: sorted(c.pk for c in moving)}
    assert (
        "(2 linked rows moved)"
        in TimelineEntry.objects.get(patient=survivor, kind=TimelineEntry.Kind.MERGED).summary
    )


@pytest.mark.django_db
def test_a_row_that_cannot_move_leaves_nothing_half_saved(
    officer, pair, contacts_move, monkeypatch
):
    # given: the second kind of row to move breaks a unique constraint
    survivor, merged = pair
    add_contact(merged, "Mother")
    real_move = merging._move
    calls = []

    def move_then_fail(fk, source, target):
        calls.append(fk)
        moved = real_move(fk, source, target)
        if len(calls) == len(merging.movable_references()):
            raise IntegrityError("duplicate key value violates unique constraint")
        return moved

    monkeypatch.setattr(merging, "_move", move_then_fail)
    before = snapshot()

    # when
    with pytest.raises(Conflict) as refused:
        merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason="Same")

    # then
    assert refused.value.code == Code.MERGE_CONFLICT
    assert "nothing was changed" in refused.value.message
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("same record", InvalidInput, Code.CANNOT_MERGE),
        ("no reason", InvalidInput, "INVALID_INPUT"),
        ("already merged", Conflict, Code.MERGE_CONFLICT),
        ("entered in error", Conflict, Code.MERGE_CONFLICT),
    ],
)
def test_merge_refuses_bad_requests_and_changes_nothing(officer, pair, facility, case, error, code):
    # given
    survivor, merged = pair
    reason = "Same person"
    if case == "same record":
        merged = survivor
    elif case == "no reason":
        reason = "   "
    elif case == "already merged":
        third = register(facility, given_name="Grace")
        merging.merge_patients(actor=officer, survivor=third, merged=merged, reason="Same")
    elif case == "entered in error":
        Patient.objects.filter(pk=survivor.pk).update(status=Patient.Status.ENTERED_IN_ERROR)
    before = snapshot()

    # when
    with pytest.raises(error) as refused:
        merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason=reason)

    # then
    assert refused.value.code == code
    assert snapshot() == before


@pytest.mark.django_db
def test_merge_of_a_merged_record_says_where_it_went(officer, pair, facility):
    survivor, merged = pair
    third = register(facility, given_name="Grace")
    merging.merge_patients(actor=officer, survivor=third, merged=merged, reason="Same")

    with pytest.raises(Conflict) as refused:
        merging.merge_patients(actor=officer, survivor=survivor, merged=merged, reason="Same")

    assert f"MRN {merged.mrn} has been merged into MRN {third.mrn}" in refused.value.message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("receptionist", NotPermitted),
        ("doctor", NotPermitted),
        ("auditor", NotFound),  # may not see patients at all, so learns nothing of them
    ],
)
def test_roles_without_merge_permission_are_refused(make_user, pair, role, error):
    survivor, merged = pair
    clerk = make_user(role)
    before = snapshot()

    with pytest.raises(error):
        merging.merge_patients(actor=clerk, survivor=survivor, merged=merged, reason="Same")

    assert snapshot() == before


@pytest.mark.django_db
def test_a_record_of_another_facility_is_not_found(officer, pair, other_facility):
    survivor, _ = pair
    foreign = register(other_facility, given_name="Grace")

    with pytest.raises(NotFound):
        merging.merge_patients(actor=officer, survivor=survivor, merged=foreign, reason="Same")

    assert Patient.objects.get(pk=foreign.pk).status == Patient.Status.ACTIVE


@pytest.mark.django_db
def test_records_of_two_facilities_are_not_merged_even_by_someone_in_both(
    make_user, facility, other_facility
):
    officer = make_user("ward_manager")
    officer.role_assignments.create(
        facility=other_facility, role=officer.role_assignments.first().role
    )
    here, there = register(facility), register(other_facility)

    with pytest.raises(InvalidInput) as refused:
        merging.merge_patients(actor=officer, survivor=here, merged=there, reason="Same")

    assert refused.value.code == Code.CANNOT_MERGE
    assert not PatientMerge.objects.exists()
