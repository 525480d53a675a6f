"""Messages to patients by email and SMS: queued here in the outbox (OutboundMessage),
sent by the worker (hms.patients.sending).

Queuing honours the patient's consent flags and contact details (a message that may not
or cannot go is kept as "skipped", with the reason) and the facility's quiet hours (a
message due in them is held to their end). The CRM owns this: scheduling's reminders,
billing and the portal all queue here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hms.core.bulk import Table
from hms.patients.models import OutboundMessage, Patient

Channel = OutboundMessage.Channel
Status = OutboundMessage.Status


@dataclass(frozen=True)
class Draft:
    """One message to queue, on every channel the patient has agreed to."""

    reference: str  # unique per message; the channel is appended
    topic: str  # what it is about, for cancel_pending
    purpose: str
    subject: str
    body: str  # email
    sms_body: str
    due_at: dt.datetime
    expires_at: dt.datetime | None = None
    ignores_quiet_hours: bool = False


# Quiet hours ----------------------------------------------------------------------


@lru_cache(maxsize=8)
def _quiet_times(text: str) -> tuple[dt.time, dt.time] | None:
    if not text.strip():
        return None
    start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    return start, end


def quiet_period(
    at: dt.datetime, zone: zoneinfo.ZoneInfo
) -> tuple[dt.datetime, dt.datetime] | None:
    """The quiet period (HMS_QUIET_HOURS, in the facility's zone) that `at` falls in,
    as its start and end instants; None outside quiet hours."""
    hours = _quiet_times(settings.HMS_QUIET_HOURS)
    if hours is None:
        return None
    start, end = hours
    today = at.astimezone(zone).date()
    for day in (today - dt.timedelta(days=1), today):
        begins = dt.datetime.combine(day, start, tzinfo=zone)
        last_day = day + dt.timedelta(days=1) if end <= start else day
        ends = dt.datetime.combine(last_day, end, tzinfo=zone)
        if begins <= at < ends:
            return begins.astimezone(dt.UTC), ends.astimezone(dt.UTC)
    return None


def hold_for_quiet_hours(
    due: dt.datetime,
    *,
    zone: zoneinfo.ZoneInfo,
    now: dt.datetime,
    deadline: dt.datetime | None = None,
) -> dt.datetime | None:
    """When a message due at `due` may go: `due` itself outside quiet hours, else the end
    of them. When that end is not before `deadline` (the appointment would have begun),
    the last minute before the quiet hours began, if that is still ahead of `now`;
    otherwise None: it cannot go at a decent hour in time."""
    period = quiet_period(due, zone)
    if period is None:
        return due
    begins, ends = period
    if deadline is None or ends < deadline:
        return ends
    earlier = begins - dt.timedelta(minutes=1)
    return earlier if earlier >= now else None


def zone_of(patient: Patient) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(patient.facility.timezone)


# Queuing ----------------------------------------------------------------------------


def not_deliverable(patient: Patient, channel: str) -> str:
    """Why a message on `channel` may not go to the patient now, or "". Reads only the
    patient row's plain columns (the blind indexes say whether an address is on file),
    so a booking that queues reminders decrypts nothing."""
    if not patient.is_active or patient.is_deceased:
        return "The record is merged, entered in error or of a deceased patient."
    if channel == Channel.EMAIL:
        if not patient.consent_email:
            return "The patient has not agreed to email."
        if not patient.email_index:
            return "No email address on file."
    else:
        if not patient.consent_sms:
            return "The patient has not agreed to text messages."
        if not patient.phone_index:
            return "No phone number on file."
    return ""


@dataclass(frozen=True)
class Queued:
    """A message as queue_messages wrote it (or found it written before)."""

    reference: str
    channel: str
    status: str  # queued, or skipped with the reason
    reason: str
    due_at: dt.datetime


# Written as plain rows: a booking queues six (a confirmation and two reminders, by
# email and SMS), and Django's bulk_create spends more building and compiling them than
# the insert takes.
_OUTBOX = Table(
    OutboundMessage,
    [
        "patient_id",
        "channel",
        "reference",
        "topic",
        "purpose",
        "subject",
        "body",
        "due_at",
        "expires_at",
        "status",
        "attempts",
        "last_error",
        "claimed_by",
        "sent_to",
        "ignores_quiet_hours",
        "created_at",
    ],
)


def queue_messages(
    *, patient: Patient, drafts: Sequence[Draft], now: dt.datetime | None = None
) -> list[Queued]:
    """Queue each draft by email and by SMS, in one insert. A channel the patient has not
    agreed to, or has no address for, is recorded as skipped with the reason; a draft
    that cannot go outside quiet hours before it expires likewise. Idempotent on the
    reference: a message queued before is left as it was. Call inside the caller's
    transaction; nothing is sent until the worker's next round."""
    now = now or timezone.now()
    zone = zone_of(patient)
    queued, rows = [], []
    for draft in drafts:
        due = draft.due_at
        if not draft.ignores_quiet_hours:
            due = hold_for_quiet_hours(due, zone=zone, now=now, deadline=draft.expires_at)
        for channel in (Channel.EMAIL, Channel.SMS):
            why = not_deliverable(patient, channel)
            if not why and due is None:
                why = "It could not go outside quiet hours before it lapsed."
            item = Queued(
                reference=f"{draft.reference}:{channel}",
                channel=channel,
                status=Status.SKIPPED if why else Status.QUEUED,
                reason=why,
                due_at=due or draft.due_at,
            )
            queued.append(item)
            body = draft.body if channel == Channel.EMAIL else draft.sms_body
            rows.append(
                (patient.pk, channel, item.reference, draft.topic, draft.purpose)
                + (draft.subject, body, item.due_at, draft.expires_at, item.status, 0, why)
                + ("", "", draft.ignores_quiet_hours, now)
            )
    _insert_new(rows)
    return queued


def _insert_new(rows: list[tuple]) -> None:
    if not rows:
        return
    converted = [_OUTBOX.convert(row) for row in rows]
    qn = connection.ops.quote_name
    table = qn(OutboundMessage._meta.db_table)
    fields = [OutboundMessage._meta.get_field(name) for name in _OUTBOX.columns]
    names = ", ".join(qn(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # ON CONFLICT: a reference queued before stays as it is (both databases).
    sql = f"INSERT INTO {table} ({names}) VALUES {{}} ON CONFLICT DO NOTHING"  # noqa: S608 - the model's own table and columns
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join([one] * len(converted))
            cursor.execute(sql.format(values), [v for row in converted for v in row])
        else:
            cursor.executemany(sql.format(one), converted)


def cancel_pending(*, topic: str, purposes: Sequence[str] | None = None) -> int:
    """Cancel the queued messages about `topic` (of these purposes, if given); returns
    how many. One already being sent goes."""
    pending = OutboundMessage.objects.filter(topic=topic, status=Status.QUEUED)
    if purposes is not None:
        pending = pending.filter(purpose__in=list(purposes))
    return pending.update(status=Status.CANCELLED)
