"""Reads of the audit trail: the auditor's search and the chain verification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from hms.audit.models import GENESIS_HASH, AuditEvent, ChainHead


def search_events(
    *,
    username: str = "",
    patient_id: str = "",
    action: str = "",
    outcome: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if username:
        qs = qs.filter(username__iexact=username)
    if patient_id:
        qs = qs.filter(patient_id=patient_id)
    if action:
        qs = qs.filter(action=action)
    if outcome:
        qs = qs.filter(outcome=outcome)
    zone = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        qs = qs.filter(at__lte=datetime.combine(date_to, time.max, tzinfo=zone))
    return qs.order_by("-id")


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
    """
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
        expected_prev, expected_id, checked = row.hash, row.id + 1, checked + 1
    head = ChainHead.objects.filter(id=1).first()
    if head and (head.last_id != checked or head.last_hash != expected_prev):
        return ChainReport(
            False,
            checked,
            expected_prev,
            checked + 1,
            f"rows {checked + 1} to {head.last_id} are missing "
            f"(the chain head names row {head.last_id})",
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
