"""The sender of the patients' outbox (hms.patients.messaging): a background task
(`send_due_messages`, run by `hms worker`) sends what is due by email (Django's email
backend, SMTP in production) and SMS (hms.core.sms).

Sending goes in batches claimed by one conditional update each, so two workers never
send the same message. A send that fails (server refused, unreachable) is tried again
after a growing delay, up to HMS_MESSAGE_MAX_ATTEMPTS; then it is "failed". A message
sent goes on the patient's timeline and in the audit trail (a disclosure of contact
with the hospital).

At most once, not at least once: a worker that dies between handing a message to the
mail server (or SMS provider) and recording it leaves it "sending", and nothing tells
whether it went. Such a claim is not sent again when its lease runs out; it is marked
failed ("delivery unknown") for staff to see. A second copy of a message to a patient
is a second disclosure and, for a cancellation or a moved appointment, a confusing one;
a missed reminder is the lesser harm. The window is one batch (BATCH messages), whose
results are recorded together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import smtplib
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from hms.audit.services import Action, record_events
from hms.core import sms
from hms.patients.messaging import hold_for_quiet_hours, not_deliverable, zone_of
from hms.patients.models import OutboundMessage, TimelineEntry

Channel = OutboundMessage.Channel
Status = OutboundMessage.Status

# Messages claimed, sent and recorded together; also the most a crash can leave unknown.
BATCH = 50
# A claim older than this belongs to a worker that stopped (see the module docstring).
LEASE = dt.timedelta(minutes=10)


@dataclass
class Dispatch:
    """What one run of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0
    stopped_by: str = ""  # a server that could not be reached ends the run early


@dataclass
class _Outcomes:
    sent: list[tuple[OutboundMessage, str]] = field(default_factory=list)
    failed: list[tuple[OutboundMessage, str, bool]] = field(default_factory=list)  # permanent?
    skipped: list[tuple[OutboundMessage, str]] = field(default_factory=list)
    held: list[tuple[OutboundMessage, dt.datetime]] = field(default_factory=list)


def has_due_messages(now: dt.datetime | None = None) -> bool:
    """Whether the sender has anything to do (the worker asks before enqueuing it)."""
    now = now or timezone.now()
    return (
        OutboundMessage.objects.filter(status=Status.QUEUED, due_at__lte=now).exists()
        or OutboundMessage.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - LEASE
        ).exists()
    )


def send_due_messages(
    *, now: dt.datetime | None = None, budget_seconds: float | None = None
) -> Dispatch:
    """Send the messages that are due, batch after batch, until none is left, a server
    cannot be reached, or `budget_seconds` have passed. Safe from any number of workers
    at once: each batch is claimed by one conditional update (skip-locked rows on
    PostgreSQL, the single writer on SQLite). Claims left by a stopped worker are marked
    failed first (see the module docstring)."""
    result = Dispatch()
    started = time.monotonic()
    _give_up_stale_claims(now or timezone.now())
    while True:
        at = now or timezone.now()
        batch = _claim(at)
        if not batch:
            break
        _send_batch(batch, at, result)
        if result.stopped_by:
            break
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            break
    return result


def _give_up_stale_claims(now: dt.datetime) -> int:
    return OutboundMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - LEASE).update(
        status=Status.FAILED,
        claimed_by="",
        last_error="Delivery unknown: the worker stopped while sending; not sent again.",
    )


def _claim(now: dt.datetime) -> list[OutboundMessage]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = (
            OutboundMessage.objects.filter(status=Status.QUEUED, due_at__lte=now)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:BATCH]
        )
        ids = list(due)
        if not ids:
            return []
        # The status condition makes the claim safe even where rows are not locked.
        OutboundMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING, claimed_by=token, claimed_at=now
        )
    return list(
        OutboundMessage.objects.filter(pk__in=ids, claimed_by=token)
        .select_related("patient__facility")
        .defer("patient__address")
        .order_by("due_at", "pk")
    )


def _send_batch(batch: list[OutboundMessage], now: dt.datetime, result: Dispatch) -> None:
    outcomes = _Outcomes()
    mailer = mail.get_connection()
    texter = sms.get_backend()
    opened = False
    try:
        for position, message in enumerate(batch):
            if _set_aside(message, now, outcomes):
                continue
            try:
                if message.channel == Channel.EMAIL and not opened:
                    # One SMTP session for the batch (Django's backend would otherwise
                    # open one per message).
                    mailer.open()
                    opened = True
                outcomes.sent.append((message, _deliver(message, mailer, texter)))
            except (smtplib.SMTPException, OSError, sms.SmsError) as exc:
                error, permanent, unreachable = _describe(exc)
                outcomes.failed.append((message, error, permanent))
                if unreachable:
                    # The rest would wait on the same dead server one by one.
                    result.stopped_by = error
                    outcomes.failed += [(m, error, False) for m in batch[position + 1 :]]
                    break
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            mailer.close()
        _record(batch[0].claimed_by, now, outcomes, result)


def _set_aside(message: OutboundMessage, now: dt.datetime, outcomes: _Outcomes) -> bool:
    """Skip or hold a claimed message that should not go now; True if set aside."""
    if message.expires_at is not None and message.expires_at <= now:
        outcomes.skipped.append((message, "Lapsed before it could be sent."))
        return True
    why = not_deliverable(message.patient, message.channel)
    if why:  # consent withdrawn or address removed since it was queued
        outcomes.skipped.append((message, why))
        return True
    if not message.ignores_quiet_hours:
        held = hold_for_quiet_hours(
            now, zone=zone_of(message.patient), now=now, deadline=message.expires_at
        )
        if held is None:
            outcomes.skipped.append((message, "Lapsed during quiet hours."))
            return True
        if held > now:
            outcomes.held.append((message, held))
            return True
    return False


def _deliver(message: OutboundMessage, mailer, texter: sms.BaseBackend) -> str:
    """Hand the message to the mail server or SMS provider; returns the address used."""
    patient = message.patient
    if message.channel == Channel.EMAIL:
        mail.EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[patient.email],
            connection=mailer,
            headers={"Message-ID": _message_id(message), "X-HMS-Reference": message.reference},
        ).send()
        return patient.email
    sms.send_sms(sms.Sms(to=patient.phone, body=message.body, reference=message.reference), texter)
    return patient.phone


def _message_id(message: OutboundMessage) -> str:
    # Our own Message-ID: Django's default looks up the machine's DNS name, and a stable
    # id lets a mail server drop a copy it has already accepted.
    digest = hashlib.sha256(message.reference.encode()).hexdigest()[:24]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">").strip() or "localhost"
    return f"<{digest}.{message.pk}@{domain}>"


def _describe(exc: Exception) -> tuple[str, bool, bool]:
    """(error text, permanent?, server unreachable?) for a failed send. A 5xx answer
    (no such mailbox) will not change on a retry; a 4xx or a broken connection may."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return f"Recipient refused ({', '.join(map(str, codes))}).", min(codes) >= 500, False
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"Mail server answered {exc.smtp_code} {text}"[:300], exc.smtp_code >= 500, False
    if isinstance(exc, sms.SmsError):
        return f"SMS not accepted: {exc}"[:300], False, False
    return f"Could not reach the server: {type(exc).__name__} {exc}"[:300], False, True


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.HMS_MESSAGE_RETRY_SECONDS * 4 ** (attempts - 1))


def _record(token: str, now: dt.datetime, outcomes: _Outcomes, result: Dispatch) -> None:
    """Write the batch's outcomes in one transaction: statuses, timeline, audit."""
    changed = []
    for message, address in outcomes.sent:
        message.status, message.sent_at, message.sent_to = Status.SENT, now, address
        message.attempts += 1
        message.last_error = ""
        changed.append(message)
    for message, error, permanent in outcomes.failed:
        message.attempts += 1
        message.last_error = error
        if permanent or message.attempts >= settings.HMS_MESSAGE_MAX_ATTEMPTS:
            message.status = Status.FAILED
            result.failed += 1
        else:
            message.status = Status.QUEUED
            message.due_at = now + _retry_delay(message.attempts)
            result.retried += 1
        changed.append(message)
    for message, why in outcomes.skipped:
        message.status, message.last_error = Status.SKIPPED, why
        changed.append(message)
    for message, until in outcomes.held:
        message.status, message.due_at = Status.QUEUED, until
        changed.append(message)
    result.sent += len(outcomes.sent)
    result.skipped += len(outcomes.skipped)
    result.held += len(outcomes.held)
    with transaction.atomic():
        _update(changed, token)
        _note_sent([message for message, _ in outcomes.sent], now)


_RECORDED = ("status", "sent_at", "sent_to", "attempts", "last_error", "due_at")


def _update(messages: list[OutboundMessage], token: str) -> None:
    """Each message's outcome in one statement run per row (executemany: one call, and
    one round trip on PostgreSQL's pipeline), only while the batch's claim holds: a
    claim given up as stale is not overwritten. Django's bulk_update builds a CASE per
    column and row, which cost more than the sending."""
    if not messages:
        return
    fields = [OutboundMessage._meta.get_field(name) for name in _RECORDED]
    table = connection.ops.quote_name(OutboundMessage._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {columns}, claimed_by = '' WHERE id = %s AND claimed_by = %s"  # noqa: S608 - the model's own table and columns
    rows = [
        [f.get_db_prep_save(getattr(m, f.attname), connection) for f in fields] + [m.pk, token]
        for m in messages
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _note_sent(messages: list[OutboundMessage], now: dt.datetime) -> None:
    """Each message sent on its patient's timeline (idempotent on the source) and in the
    audit trail, a few statements for the whole batch."""
    if not messages:
        return
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                patient_id=m.patient_id,
                kind=TimelineEntry.Kind.MESSAGE,
                occurred_at=now,
                summary=f"{m.get_channel_display()} sent: {m.subject}"[:300],
                detail={"message": m.pk, "channel": m.channel, "topic": m.topic},
                source=f"message:{m.pk}",
            )
            for m in messages
        ],
        ignore_conflicts=True,
    )
    record_events(
        action=Action.EXPORT,
        actor=None,
        objs=messages,
        patient_ids=[str(m.patient.external_id) for m in messages],
        reason="Message sent to the patient (hms.patients.messaging)",
    )
