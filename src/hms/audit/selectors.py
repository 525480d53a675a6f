"""Reads of the audit trail: the auditor's search and the chain verification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hms.audit import directory
from hms.audit.models import GENESIS_HASH, AuditEvent, AuditEventPatient, ChainHead


def search_events(
    *,
    username: str = "",
    patient_id: str = "",
    action: str = "",
    outcome: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """The events matching every filter given, newest first. `patient_id` is a patient's
    public id, MRN or the words of their name: the events naming any record it fits."""
    qs = AuditEvent.objects.all()
    if username:
        qs = qs.filter(username__iexact=username)
    if patient_id:
        named = [patient_id, *directory.patients_matching(patient_id)]
        qs = qs.filter(id__in=events_naming(named))
    if action:
        qs = qs.filter(action=action)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if date_from:
        qs = qs.filter(at__gte=_utc(date_from, time.min, fallback=datetime.min.replace(tzinfo=UTC)))
    if date_to:
        qs = qs.filter(at__lte=_utc(date_to, time.max, fallback=datetime.max.replace(tzinfo=UTC)))
    return qs.order_by("-id")


@dataclass(frozen=True)
class PatientShown:
    id: str
    label: directory.PatientLabel | None  # None: no such record here (or not a patient id)


# Patients listed per event on the auditor's page; the rest are counted.
LISTED = 3


def patients_of(
    events: Iterable[AuditEvent], *, listed: int | None = LISTED
) -> dict[int, tuple[list[PatientShown], int]]:
    """Per event, the first `listed` (or all) patients it names with their name and MRN,
    and how many more; one lookup for the whole page."""
    events = list(events)
    found = directory.labels({p for e in events for p in e.patients_named[:listed]})
    return {
        e.id: (
            [PatientShown(p, found.get(p)) for p in e.patients_named[:listed]],
            len(e.patients_named[listed:]) if listed is not None else 0,
        )
        for e in events
    }


def events_naming(patient_ids: list[str]) -> QuerySet:
    """The ids of the events that name any of these patients: on their own (`patient_id`,
    an update, a patient page) or among the patients a read showed. Two index lookups
    joined by a UNION, so the search stays fast on a trail of millions of rows (an OR of
    the two would read the whole table on PostgreSQL)."""
    alone = AuditEvent.objects.filter(patient_id__in=patient_ids).order_by().values("id")
    listed = AuditEventPatient.objects.filter(patient_id__in=patient_ids).order_by()
    listed = listed.values("event_id")
    return alone.union(listed)


def _utc(day: date, at: time, *, fallback: datetime) -> datetime:
    # 0001-01-01 or 9999-12-31 in a zone off UTC falls outside datetime's range in UTC.
    moment = datetime.combine(day, at, tzinfo=timezone.get_current_timezone())
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return fallback


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    last_hash: str
    bad_row: int | None = None
    problem: str = ""


def verify_chain(rows: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Recompute every row's hash in id order and report the first break.

    Detects an altered row (its hash no longer matches its content), a removed row
    (a gap in the gapless ids, or the next row's prev_hash pointing elsewhere), a row
    inserted out of chain, and a truncated tail (the chain head names a later row).
    The head is read before the rows and again after them, so events appended while
    this runs are not mistaken for missing or forged rows.
    """
    head = ChainHead.objects.filter(id=1).first()
    head_hash = None
    if rows is None:
        rows = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    expected_prev, expected_id, checked = GENESIS_HASH, 1, 0
    for row in rows:
        if row.id != expected_id:
            return ChainReport(
                False,
                checked,
                expected_prev,
                expected_id,
                f"row {expected_id} is missing (next row found is {row.id})",
            )
        if row.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                expected_prev,
                row.id,
                f"row {row.id} does not follow row {row.id - 1}",
            )
        if row.compute_hash() != row.hash:
            return ChainReport(
                False,
                checked,
                expected_prev,
                row.id,
                f"row {row.id} was altered (its content no longer matches its hash)",
            )
        if head and row.id == head.last_id:
            head_hash = row.hash
        expected_prev, expected_id, checked = row.hash, row.id + 1, checked + 1
    if head and head.last_id > checked:
        return ChainReport(
            False,
            checked,
            expected_prev,
            checked + 1,
            f"rows {checked + 1} to {head.last_id} are missing "
            f"(the chain head names row {head.last_id})",
        )
    if head and head.last_id and head_hash != head.last_hash:
        return ChainReport(
            False,
            head.last_id - 1,
            expected_prev,
            head.last_id,
            f"row {head.last_id} was altered (its hash is not the one the chain head recorded)",
        )
    after = ChainHead.objects.filter(id=1).first()
    last_id = after.last_id if after else 0
    if checked > last_id:
        return ChainReport(
            False,
            last_id,
            expected_prev,
            last_id + 1,
            f"rows {last_id + 1} to {checked} were added outside the chain "
            f"(the chain head names row {last_id})",
        )
    return ChainReport(True, checked, expected_prev)


def recent_sign_ins(*, user, limit: int = 5) -> list[AuditEvent]:
    """The user's own latest sign-ins and failed attempts, to spot misuse of the account."""
    return list(
        AuditEvent.objects.filter(action__in=["login", "login_failed"])
        .filter(Q(actor=user) | Q(actor__isnull=True, username=user.get_username()))
        .order_by("-id")[:limit]
    )


def summary_since(since: datetime) -> dict[str, int]:
    return AuditEvent.objects.filter(at__gte=since).aggregate(
        events=Count("id"),
        failed_sign_ins=Count("id", filter=Q(action="login_failed")),
        denied=Count("id", filter=Q(outcome="denied") & ~Q(action="login_failed")),
    )
