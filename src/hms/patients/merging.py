"""The master patient index's writes: filling the duplicates worklist, judging a pair,
merging two records of one person and undoing a merge.

A merge moves every row that refers to the merged record (visits, appointments,
invoices, whatever modules add) to the survivor, found generically from the foreign keys
to Patient, except the rows in STAYS, which are the merged record's own history and stay
with it. What moved is written down, so an unmerge moves exactly those rows back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility, author
from hms.patients import matching
from hms.patients.errors import PatientErrorCode as Code
from hms.patients.models import (
    UNIQUE_IDENTIFIER_SYSTEMS,
    DuplicateCandidate,
    Patient,
    PatientIdentifier,
    PatientMerge,
    TimelineEntry,
)
from hms.patients.policies import check_patient_permission
from hms.patients.references import (
    STAYS,
    movable_references,
    patient_references,
    reference_label,
)
from hms.patients.services import _reason, _timeline

Kind = TimelineEntry.Kind


def _json_pk(pk: Any) -> Any:
    return pk if isinstance(pk, int) else str(pk)


def _move(fk: models.ForeignKey, source: Patient, target: Patient) -> list[Any]:
    manager = fk.model._base_manager
    pks = list(manager.filter(**{fk.name: source}).order_by("pk").values_list("pk", flat=True))
    if pks:
        manager.filter(pk__in=pks).update(**{fk.name: target})
    return pks


def _lock_pair(first: Patient, second: Patient) -> tuple[Patient, Patient]:
    """Lock both rows, the lower primary key first: two merges touching the same records
    then queue on the same row instead of each holding one and waiting on the other."""
    locked = {}
    for pk in sorted((first.pk, second.pk)):
        locked[pk] = Patient.objects.select_for_update().get(pk=pk)
    return locked[first.pk], locked[second.pk]


def _state(patient: Patient) -> str:
    if patient.status == Patient.Status.MERGED:
        into = Patient.objects.filter(pk=patient.merged_into_id).values_list("mrn", flat=True)
        return f"MRN {patient.mrn} has been merged into MRN {into.first()}"
    return f"MRN {patient.mrn} is {patient.get_status_display().lower()}"


def _required_reason(text: str) -> str:
    reason = _reason(text, "reason")
    if not reason:
        raise InvalidInput("Say why.", field="reason")
    return reason


def _audit(*, actor: Any, obj: models.Model, patients: Iterable[Patient], reason: str) -> None:
    for patient in patients:
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=obj,
            patient_id=str(patient.external_id),
            reason=reason[:500],
        )


# --- the worklist -----------------------------------------------------------------------


def scan_for_duplicates(*, facility: Facility, patients: Iterable[Patient] | None = None) -> int:
    """Put the likely duplicate pairs among `patients` (default: every active record of
    the facility) and the facility's active records on the duplicates worklist.

    Used after an import and by `hms patients find-duplicates`; no permission check,
    since only trusted code calls it. Pairs already on the worklist, decided or not, are
    left alone. Returns how many pairs were added; audits one event for the scan.
    """
    targets = (
        Patient.objects.filter(facility=facility, status=Patient.Status.ACTIVE)
        if patients is None
        else patients
    )
    found: dict[tuple[int, int], matching.Match] = {}
    for chunk in _chunks(targets, 500):
        identifiers: dict[int, list[tuple[str, str]]] = {}
        rows = PatientIdentifier.objects.filter(patient__in=[p.pk for p in chunk])
        for patient_id, system, index in rows.values_list("patient_id", "system", "value_index"):
            identifiers.setdefault(patient_id, []).append((system, index))
        for patient in chunk:
            if patient.facility_id != facility.pk or not patient.is_active:
                continue
            probe = matching.probe_for(patient, identifiers.get(patient.pk, ()))
            for match in matching.find_likely_duplicates(
                probe, facility_id=facility.pk, exclude_id=patient.pk, limit=10
            ):
                pair = tuple(sorted((patient.pk, match.patient.pk)))
                if pair not in found or found[pair].score < match.score:
                    found[pair] = match
    with transaction.atomic():
        added = _add_pairs(found)
        record_event(
            action=Action.CREATE,
            object_type=DuplicateCandidate._meta.label,
            reason=f"duplicate scan of {facility.code}: {len(found)} likely pairs, {added} new",
        )
    return added


def _chunks(items: Iterable[Patient], size: int):
    chunk: list[Patient] = []
    iterator = items.iterator(chunk_size=size) if hasattr(items, "iterator") else iter(items)
    for item in iterator:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _add_pairs(found: dict[tuple[int, int], matching.Match]) -> int:
    added = 0
    for (low, high), match in sorted(found.items()):
        try:
            with transaction.atomic():
                _, created = DuplicateCandidate.objects.get_or_create(
                    patient_id=low,
                    other_id=high,
                    defaults={"score": match.score, "reasons": list(match.reasons)},
                )
        except IntegrityError:
            created = False  # flagged by a registration at the same moment
        added += created
    return added


def dismiss_duplicate(
    *, actor: Any, candidate: DuplicateCandidate, reason: str
) -> DuplicateCandidate:
    """Take a pair off the worklist as two different people (twins, namesakes).

    Requires MERGE_PATIENTS for both records and a reason. Raises Conflict
    (ALREADY_DECIDED) if someone decided the pair meanwhile. Notes the decision on both
    timelines and audits it against both patients.
    """
    check_patient_permission(actor, Perm.MERGE_PATIENTS, candidate.patient)
    check_patient_permission(actor, Perm.MERGE_PATIENTS, candidate.other)
    reason = _required_reason(reason)
    user = author(actor)
    with transaction.atomic():
        locked = (
            DuplicateCandidate.objects.select_for_update()
            .select_related("patient", "other")
            .get(pk=candidate.pk)
        )
        if locked.status != DuplicateCandidate.Status.OPEN:
            raise Conflict(
                f"This pair was already decided: {locked.get_status_display().lower()}.",
                code=Code.ALREADY_DECIDED,
            )
        locked.status = DuplicateCandidate.Status.NOT_DUPLICATE
        locked.decided_at = timezone.now()
        locked.decided_by = user
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        pair = (locked.patient, locked.other)
        for patient, other in (pair, pair[::-1]):
            _timeline(
                patient,
                Kind.NOTE,
                f"Not the same person as MRN {other.mrn}: {reason}",
                user,
                detail={"duplicate": "dismissed", "other": str(other.external_id)},
            )
        _audit(
            actor=actor,
            obj=locked,
            patients=pair,
            reason=f"not a duplicate: {pair[0].mrn} / {pair[1].mrn}. {reason}",
        )
    return locked


# --- merge and unmerge ----------------------------------------------------------------


def merge_patients(*, actor: Any, survivor: Patient, merged: Patient, reason: str) -> PatientMerge:
    """Merge `merged` into `survivor`: two records of one person become one.

    Requires MERGE_PATIENTS and a reason; both records must be active, of one facility,
    and not the same record (InvalidInput, CANNOT_MERGE, otherwise). Locks both patient
    rows, the lower primary key first, so a concurrent merge of either record waits and
    then fails with Conflict (MERGE_CONFLICT, 409) instead of merging a merged record.
    Moves every reference to `merged` except those in STAYS to `survivor` and records
    them on the returned PatientMerge; marks `merged` as merged into `survivor`; closes
    the pair's open worklist row; notes the merge on both timelines and audits it
    against both patients. Nothing is saved if any step fails (a unique constraint of a
    moved row, say: Conflict).
    """
    check_patient_permission(actor, Perm.MERGE_PATIENTS, survivor)
    check_patient_permission(actor, Perm.MERGE_PATIENTS, merged)
    if survivor.pk == merged.pk:
        raise InvalidInput("Choose two different records.", code=Code.CANNOT_MERGE)
    if survivor.facility_id != merged.facility_id:
        raise InvalidInput(
            "Records of different facilities cannot be merged.", code=Code.CANNOT_MERGE
        )
    reason = _required_reason(reason)
    user = author(actor)
    try:
        with transaction.atomic():
            return _merge(actor, user, survivor, merged, reason)
    except IntegrityError as exc:
        raise Conflict(
            f"The merge would break a rule of the database, so nothing was changed ({exc}).",
            code=Code.MERGE_CONFLICT,
        ) from exc


def _merge(actor: Any, user: Any, survivor: Patient, merged: Patient, reason: str) -> PatientMerge:
    survivor, merged = _lock_pair(survivor, merged)
    for patient in (survivor, merged):
        if not patient.is_active:
            raise Conflict(
                f"{_state(patient)}; reload the page to see the current records.",
                code=Code.MERGE_CONFLICT,
            )
    moved = {}
    for fk in movable_references():
        pks = _move(fk, merged, survivor)
        if pks:
            moved[reference_label(fk)] = [_json_pk(pk) for pk in pks]
    merged.status, merged.merged_into, merged.updated_by = Patient.Status.MERGED, survivor, user
    merged.save(update_fields=["status", "merged_into", "updated_by", "updated_at"])
    merge = PatientMerge.objects.create(
        survivor=survivor, merged=merged, reason=reason, moved=moved, created_by=user
    )
    low, high = sorted((survivor.pk, merged.pk))
    DuplicateCandidate.objects.filter(
        patient_id=low, other_id=high, status=DuplicateCandidate.Status.OPEN
    ).update(status=DuplicateCandidate.Status.MERGED, decided_at=timezone.now(), decided_by=user)
    rows = sum(len(pks) for pks in moved.values())
    detail = {"merge": str(merge.external_id), "moved": {k: len(v) for k, v in moved.items()}}
    _timeline(
        survivor,
        Kind.MERGED,
        f"MRN {merged.mrn} merged into this record"
        + (f" ({rows} linked rows moved)" if rows else "")
        + f": {reason}",
        user,
        detail={**detail, "merged": str(merged.external_id)},
    )
    _timeline(
        merged,
        Kind.MERGED,
        f"Merged into MRN {survivor.mrn}: {reason}",
        user,
        detail={**detail, "survivor": str(survivor.external_id)},
    )
    _audit(
        actor=actor,
        obj=merge,
        patients=(survivor, merged),
        reason=f"merged {merged.mrn} into {survivor.mrn}, {rows} rows moved. {reason}",
    )
    return merge


def unmerge_patients(*, actor: Any, merge: PatientMerge, reason: str) -> PatientMerge:
    """Undo a merge: move exactly the recorded rows back to the merged record and make it
    active again.

    Requires MERGE_PATIENTS and a reason. Raises Conflict (CANNOT_UNMERGE) if the merge
    was already undone, if the survivor has since been merged into another record (undo
    that merge first), or if a recorded row no longer belongs to the survivor; nothing
    is changed then. Reopens the pair on the worklist, notes the undo on both timelines
    and audits it against both patients.
    """
    check_patient_permission(actor, Perm.MERGE_PATIENTS, merge.survivor)
    check_patient_permission(actor, Perm.MERGE_PATIENTS, merge.merged)
    reason = _required_reason(reason)
    user = author(actor)
    with transaction.atomic():
        merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
        survivor, merged = _lock_pair(merge.survivor, merge.merged)
        _check_undoable(merge, survivor, merged)
        by_label = {reference_label(fk): fk for fk in patient_references()}
        for label, pks in merge.moved.items():
            fk = by_label.get(label)
            if fk is None or label in STAYS:
                raise Conflict(
                    f"Rows of {label} moved in this merge can no longer be moved back.",
                    code=Code.CANNOT_UNMERGE,
                )
            keys = [fk.model._meta.pk.to_python(pk) for pk in pks]
            back = fk.model._base_manager.filter(pk__in=keys, **{fk.name: survivor})
            if back.update(**{fk.name: merged}) != len(keys):
                raise Conflict(
                    f"Some {fk.model._meta.verbose_name_plural} moved in this merge no longer "
                    f"belong to MRN {survivor.mrn}; nothing was changed.",
                    code=Code.CANNOT_UNMERGE,
                )
        merged.status, merged.merged_into, merged.updated_by = Patient.Status.ACTIVE, None, user
        merged.save(update_fields=["status", "merged_into", "updated_by", "updated_at"])
        _restore_identifiers(merged)
        merge.undone_at, merge.undone_by = timezone.now(), user
        merge.save(update_fields=["undone_at", "undone_by"])
        low, high = sorted((survivor.pk, merged.pk))
        DuplicateCandidate.objects.filter(
            patient_id=low, other_id=high, status=DuplicateCandidate.Status.MERGED
        ).update(status=DuplicateCandidate.Status.OPEN, decided_at=None, decided_by=None)
        detail = {"merge": str(merge.external_id)}
        _timeline(
            survivor,
            Kind.UNMERGED,
            f"Merge of MRN {merged.mrn} undone: {reason}",
            user,
            detail={**detail, "merged": str(merged.external_id)},
        )
        _timeline(
            merged,
            Kind.UNMERGED,
            f"Separated again from MRN {survivor.mrn}: {reason}",
            user,
            detail={**detail, "survivor": str(survivor.external_id)},
        )
        _audit(
            actor=actor,
            obj=merge,
            patients=(survivor, merged),
            reason=f"unmerged {merged.mrn} from {survivor.mrn}. {reason}",
        )
    return merge


def _check_undoable(merge: PatientMerge, survivor: Patient, merged: Patient) -> None:
    if merge.undone_at:
        raise Conflict(
            f"This merge was already undone on {merge.undone_at:%Y-%m-%d %H:%M} UTC.",
            code=Code.CANNOT_UNMERGE,
        )
    if not survivor.is_active:
        raise Conflict(
            f"{_state(survivor)} since; undo that merge first.", code=Code.CANNOT_UNMERGE
        )
    if merged.status != Patient.Status.MERGED or merged.merged_into_id != survivor.pk:
        raise Conflict(
            f"MRN {merged.mrn} is no longer merged into MRN {survivor.mrn}.",
            code=Code.CANNOT_UNMERGE,
        )


def _restore_identifiers(patient: Patient) -> None:
    """Put a separated record's identifiers back in force, except those another current
    record holds (the survivor, which took them over while merged): the records officer
    corrects the record that should not have them."""
    held = PatientIdentifier.objects.filter(
        facility_id=OuterRef("facility_id"),
        system=OuterRef("system"),
        assigner=OuterRef("assigner"),
        value_index=OuterRef("value_index"),
        is_current=True,
        system__in=UNIQUE_IDENTIFIER_SYSTEMS,
    )
    PatientIdentifier.objects.filter(patient=patient).exclude(Exists(held)).update(is_current=True)
