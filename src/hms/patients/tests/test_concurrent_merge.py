"""Two officers merging the same record at the same moment: one merge wins, the other
fails cleanly with a Conflict, and nothing is merged twice (real threads, PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from hms.core.errors import Conflict
from hms.patients import merging, worklist
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.models import Patient, PatientMerge, TimelineEntry
from hms.patients.tests.mpi_helpers import register

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks: SQLite has none (its IMMEDIATE transactions queue every "
        "writer), and pytest-django's shared-cache in-memory SQLite database fails a "
        "second writer at once with 'database table is locked' instead of waiting",
    ),
    pytest.mark.django_db(transaction=True),
]

HOLD = 0.5  # seconds the first merge keeps its locks, so the second one has to wait


def _race(monkeypatch, *merges) -> list[tuple[str, object, float]]:
    """Run each (actor, survivor, merged) merge in its own thread, all started together.

    Each merge holds its locks a moment before moving rows, so whichever goes second
    finds the rows locked. Returns ("merged" | "refused", merge or error, finished at).
    """
    real = merging.movable_references

    def slow_movable_references():
        time.sleep(HOLD)
        return real()

    monkeypatch.setattr(merging, "movable_references", slow_movable_references)
    start = threading.Barrier(len(merges))
    results: list[tuple[str, object, float]] = []

    def run(actor, survivor, merged):
        try:
            start.wait(timeout=30)
            merge = merging.merge_patients(
                actor=actor, survivor=survivor, merged=merged, reason="Same person"
            )
            results.append(("merged", merge, time.monotonic()))
        except Conflict as exc:
            results.append(("refused", exc, time.monotonic()))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions
            results.append(("error", exc, time.monotonic()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=m) for m in merges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a merge hung"
    return sorted(results, key=lambda r: r[2])


def test_one_record_merged_into_two_survivors_at_once(make_user, facility, monkeypatch):
    # given
    first_officer, second_officer = make_user("ward_manager"), make_user("ward_manager")
    merged = register(facility, given_name="Chebet")
    one, two = register(facility, given_name="Chebet"), register(facility, given_name="Chebet")

    # when
    results = _race(monkeypatch, (first_officer, one, merged), (second_officer, two, merged))

    # then
    outcomes = [kind for kind, _, _ in results]
    assert outcomes == ["merged", "refused"], results
    won, refused = results[0][1], results[1][1]
    assert refused.code == Code.MERGE_CONFLICT
    assert f"MRN {merged.mrn} has been merged into MRN {won.survivor.mrn}" in refused.message
    merged.refresh_from_db()
    assert (merged.status, merged.merged_into_id) == (Patient.Status.MERGED, won.survivor.pk)
    assert list(PatientMerge.objects.values_list("pk", flat=True)) == [won.pk]
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.MERGED).count() == 2


def test_two_records_merged_into_each_other_at_once(make_user, facility, monkeypatch):
    # given: each officer picked the other record as the survivor
    first_officer, second_officer = make_user("ward_manager"), make_user("ward_manager")
    a, b = register(facility, given_name="Kiprop"), register(facility, given_name="Kiprop")

    # when: both lock the lower primary key first, so neither deadlocks the other
    results = _race(monkeypatch, (first_officer, a, b), (second_officer, b, a))

    # then
    assert [kind for kind, _, _ in results] == ["merged", "refused"], results
    won = results[0][1]
    assert results[1][1].code == Code.MERGE_CONFLICT
    statuses = dict(Patient.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "status"))
    assert statuses == {won.survivor.pk: "active", won.merged.pk: "merged"}
    assert PatientMerge.objects.count() == 1


def test_merging_into_a_record_that_is_being_merged_away(make_user, facility, monkeypatch):
    # given: one officer merges B into C while another merges A into B
    first_officer, second_officer = make_user("ward_manager"), make_user("ward_manager")
    a, b, c = (register(facility, given_name="Wairimu") for _ in range(3))

    # when
    results = _race(monkeypatch, (first_officer, c, b), (second_officer, b, a))

    # then: whichever went second saw the other's outcome
    kinds = [kind for kind, _, _ in results]
    if kinds == ["merged", "merged"]:
        # A into B went first, then B (still active) into C: a chain that leads to C
        assert [r[1].merged for r in results] == [a, b]
        assert worklist.survivor_of(Patient.objects.get(pk=a.pk)) == c
    else:
        # B into C went first: B was no longer there to receive A
        assert kinds == ["merged", "refused"]
        assert results[0][1].merged == b
        assert Patient.objects.get(pk=a.pk).status == Patient.Status.ACTIVE
        assert PatientMerge.objects.count() == 1
