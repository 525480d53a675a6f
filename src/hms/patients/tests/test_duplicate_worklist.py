"""The duplicates worklist: the scan that fills it, the dismissal that empties it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from hms.audit.models import AuditEvent
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.patients import merging, selectors, worklist
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.models import DuplicateCandidate, Patient, TimelineEntry
from hms.patients.tests.mpi_helpers import register, snapshot

Status = DuplicateCandidate.Status


@pytest.fixture
def officer(make_user):
    return make_user("ward_manager")


@pytest.fixture
def records(facility):
    """Two records of one person (a typo), a twin of hers, and someone else."""
    first = register(facility, given_name="Nafula", family_name="Wekesa", phone="+254711000001")
    second = register(facility, given_name="Nafula", family_name="Wekessa", phone="+254711000001")
    twin = register(facility, given_name="Nekesa", family_name="Wekesa", phone="+254711000001")
    other = register(facility, given_name="Juma", family_name="Omar", sex="male")
    return first, second, twin, other


def _pairs():
    return list(DuplicateCandidate.objects.order_by("pk").values_list("patient", "other"))


@pytest.mark.django_db
def test_scan_puts_the_likely_pair_on_the_worklist_once(facility, records):
    # given
    first, second, _, _ = records

    # when
    added = merging.scan_for_duplicates(facility=facility)
    again = merging.scan_for_duplicates(facility=facility)

    # then
    assert (added, again) == (1, 0)
    assert _pairs() == [(first.pk, second.pk)]
    candidate = DuplicateCandidate.objects.get()
    assert candidate.status == Status.OPEN
    assert candidate.score >= 0.75
    assert "family name spelt alike" in candidate.reasons
    scans = AuditEvent.objects.filter(reason__startswith=f"duplicate scan of {facility.code}")
    assert scans.count() == 2


@pytest.mark.django_db
def test_scan_of_some_records_compares_them_with_the_whole_facility(facility, records):
    first, second, _, other = records

    added = merging.scan_for_duplicates(facility=facility, patients=[second, other])

    assert added == 1
    assert _pairs() == [(first.pk, second.pk)]


@pytest.mark.django_db
def test_scan_leaves_a_dismissed_pair_dismissed(facility, records, officer):
    merging.scan_for_duplicates(facility=facility)
    candidate = DuplicateCandidate.objects.get()
    merging.dismiss_duplicate(actor=officer, candidate=candidate, reason="Sisters")

    assert merging.scan_for_duplicates(facility=facility) == 0
    assert DuplicateCandidate.objects.get().status == Status.NOT_DUPLICATE


@pytest.mark.django_db
def test_scan_skips_records_of_other_facilities_and_inactive_ones(
    facility, other_facility, records
):
    first, second, _, _ = records
    register(other_facility, given_name="Nafula", family_name="Wekesa", phone="+254711000001")
    Patient.objects.filter(pk=second.pk).update(status=Patient.Status.ENTERED_IN_ERROR)

    assert merging.scan_for_duplicates(facility=facility) == 0
    assert merging.scan_for_duplicates(facility=other_facility) == 0


@pytest.mark.django_db
def test_dismiss_records_who_decided_why_on_both_timelines(facility, records, officer):
    # given
    first, second, _, _ = records
    merging.scan_for_duplicates(facility=facility)
    candidate = DuplicateCandidate.objects.get()

    # when
    dismissed = merging.dismiss_duplicate(
        actor=officer, candidate=candidate, reason="Different mothers' names"
    )

    # then
    assert (dismissed.status, dismissed.decided_by) == (Status.NOT_DUPLICATE, officer)
    assert dismissed.decision_reason == "Different mothers' names"
    for patient, other in ((first, second), (second, first)):
        note = TimelineEntry.objects.get(patient=patient, kind=TimelineEntry.Kind.NOTE)
        assert note.summary == f"Not the same person as MRN {other.mrn}: Different mothers' names"
    audited = AuditEvent.objects.filter(reason__startswith="not a duplicate")
    assert sorted(audited.values_list("patient_id", flat=True)) == sorted(
        [str(first.external_id), str(second.external_id)]
    )
    assert list(worklist.duplicate_worklist(viewer=officer, facility=facility)) == []


@pytest.mark.django_db
def test_a_decided_pair_cannot_be_dismissed_again(facility, records, officer):
    merging.scan_for_duplicates(facility=facility)
    candidate = DuplicateCandidate.objects.get()
    merging.dismiss_duplicate(actor=officer, candidate=candidate, reason="Sisters")
    before = snapshot()

    with pytest.raises(Conflict) as refused:
        merging.dismiss_duplicate(actor=officer, candidate=candidate, reason="Sisters")

    assert refused.value.code == Code.ALREADY_DECIDED
    assert snapshot() == before


@pytest.mark.django_db
def test_dismiss_needs_the_permission_and_a_reason(facility, records, officer, make_user):
    merging.scan_for_duplicates(facility=facility)
    candidate = DuplicateCandidate.objects.get()
    clerk = make_user("receptionist")
    before = snapshot()

    with pytest.raises(NotPermitted):
        merging.dismiss_duplicate(actor=clerk, candidate=candidate, reason="Sisters")
    with pytest.raises(InvalidInput):
        merging.dismiss_duplicate(actor=officer, candidate=candidate, reason="")

    assert snapshot() == before


@pytest.mark.django_db
def test_worklist_shows_open_pairs_of_active_records_to_records_officers(
    facility, records, officer, make_user
):
    # given: two open pairs, one of which lost a record to a merge
    first, second, twin, _ = records
    low = DuplicateCandidate.objects.create(patient=first, other=twin, score=0.8)
    high = DuplicateCandidate.objects.create(patient=first, other=second, score=0.95)
    third = register(facility, given_name="Nafula", family_name="Wekesa", birth_date=None)
    gone = DuplicateCandidate.objects.create(patient=twin, other=third, score=0.9)
    merging.merge_patients(actor=officer, survivor=first, merged=third, reason="Same")

    # when
    shown = list(worklist.duplicate_worklist(viewer=officer, facility=facility))
    to_clerk = list(
        worklist.duplicate_worklist(viewer=make_user("receptionist"), facility=facility)
    )

    # then
    assert shown == [high, low]
    assert gone not in shown
    assert to_clerk == []


@pytest.mark.django_db
def test_survivor_of_follows_merges_of_merges(facility, officer):
    a, b, c = (register(facility, birth_date=dt.date(1970, 1, n)) for n in (1, 2, 3))
    merging.merge_patients(actor=officer, survivor=b, merged=a, reason="Same")
    merging.merge_patients(actor=officer, survivor=c, merged=b, reason="Same")

    assert worklist.survivor_of(Patient.objects.get(pk=a.pk)) == c
    shown = {e.patient_id for e in selectors.patient_timeline(patient=c)}
    assert shown == {a.pk, b.pk, c.pk}  # the first record's history reaches the last


@pytest.mark.django_db
def test_find_duplicates_command(facility, records):
    out = StringIO()

    call_command("patients", "find-duplicates", "--facility", facility.code, stdout=out)

    assert out.getvalue().strip() == f"{facility.code}: 1 new likely duplicate pair on the worklist"
    assert AuditEvent.objects.filter(channel="cli", reason__startswith="duplicate scan").exists()
