"""Writing to the audit trail. Every module records through `record_event`."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from hms.audit.models import GENESIS_HASH, AuditEvent, AuditEventPatient, ChainHead
from hms.core import context
from hms.core.bulk import Table
from hms.core.models import mark_saved

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


def _visible(value: object) -> str:
    # Text typed by strangers (a username at a failed sign-in, an address) may hold control
    # characters, which PostgreSQL refuses (NUL) and which garble terminals and CSV files:
    # keep them readable as escapes.
    text = str(value)
    if text.isprintable():  # the common case, and Cc characters are never printable
        return text
    return "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in text)


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    public_id = getattr(obj, "external_id", None) or obj.pk
    return obj._meta.label, str(public_id)


def _new_event(
    event_id: int, prev_hash: str, user: Any, username: str, *, at=None, **fields: str
) -> AuditEvent:
    """An event chained after `prev_hash`, its context taken from the bound request."""
    ctx = context.current()
    event = AuditEvent(
        id=event_id,
        at=at or timezone.now(),
        actor=user,
        username=_visible(user.get_username() if user else username)[:150],
        roles=",".join(ctx.roles)[:300],
        facility_code=ctx.facility_code,
        action=fields["action"],
        object_type=_visible(fields["object_type"])[:100],
        object_id=_visible(fields["object_id"])[:64],
        patient_id=_visible(fields["patient_id"])[:64],
        patient_ids=" ".join(_visible(p)[:64] for p in fields.get("patient_ids", ())),
        source_ip=ctx.source_ip,
        user_agent=ctx.user_agent,
        channel=ctx.channel,
        outcome=fields["outcome"],
        reason=_visible(fields["reason"])[:500],
        prev_hash=prev_hash,
    )
    event.hash = event.compute_hash()
    return event


def record_event(
    *,
    action: str,
    actor: Any = None,
    username: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    patient_id: str = "",
    patient_ids: Sequence[str] = (),
    outcome: str = Outcome.SUCCESS,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain and return it.

    Takes the row lock on the chain head, so appends are serialised and ids are
    gapless; the lock is held until the caller's transaction commits, so call this
    last inside a service's transaction. Source address, user agent, channel, facility
    and roles come from the bound request context. `reason` must never carry patient
    data beyond identifiers: it is shown to auditors, not clinicians. `patient_ids`
    names every patient a read showed (one event for a list page, however long).
    """
    if len(patient_ids) == 1 and not patient_id:
        patient_id, patient_ids = patient_ids[0], ()
    if obj is not None and not object_type:
        object_type, object_id = _object_ref(obj)
    user = actor if getattr(actor, "is_authenticated", False) else None
    fields = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "patient_id": patient_id,
        "patient_ids": patient_ids,
        "outcome": outcome,
        "reason": reason,
    }
    return _append(user, username, [fields])[0]


def record_patients_shown(*, actor: Any, patient_ids: Iterable[object], what: str) -> None:
    """Audit that the data of these patients (public ids) was shown to `actor`.

    During a request the patients are noted, and the request writes one read event
    naming all of them once it has answered successfully (`AuditMiddleware`); elsewhere
    (a command, a background task) the event is written now. `what` says what showed
    them ("search", "FHIR read Observation") and must not itself be patient data.
    """
    ids = list(dict.fromkeys(str(p) for p in patient_ids if p))
    if not ids or context.note_patients_shown(ids, what=what):
        return
    record_event(action=Action.READ, actor=actor, patient_ids=ids, reason=what)


def record_events(
    *,
    action: str,
    actor: Any,
    objs: Sequence[models.Model],
    patient_ids: Sequence[str],
    reason: str = "",
) -> list[AuditEvent]:
    """Append one event per object of `objs` (the patients listed on a search page),
    with `patient_ids` in the same order: the rows `record_event` would write one by one,
    written under one lock of the chain head in one insert, so a page listing twenty
    patients audits them in a few queries rather than a hundred.
    """
    if not objs:
        return []
    user = actor if getattr(actor, "is_authenticated", False) else None
    items = []
    for obj, patient_id in zip(objs, patient_ids, strict=True):
        object_type, object_id = _object_ref(obj)
        items.append(
            {
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "patient_id": patient_id,
                "outcome": Outcome.SUCCESS,
                "reason": reason,
            }
        )
    return _append(user, "", items)


# Every request that shows or changes protected data appends here, so the append is
# plain statements (lock the head, insert the rows, move the head; the last two are one
# on PostgreSQL) rather than the ORM's several times slower equivalents.
_HEAD = ChainHead._meta.db_table
_FIELDS = AuditEvent._meta.concrete_fields
_ROWS = Table(AuditEvent, [f.attname for f in _FIELDS])
_NAMED = Table(AuditEventPatient, ["event_id", "patient_id"])


def _append(user: Any, username: str, items: list[dict[str, str]]) -> list[AuditEvent]:
    at = timezone.now()
    # No savepoint inside a caller's transaction: an append that fails fails the
    # write it audits, and the savepoint would cost two more round trips on each.
    with transaction.atomic(savepoint=False):
        last_id, last_hash = _lock_head()
        events = []
        for fields in items:
            event = _new_event(last_id + 1, last_hash, user, username, at=at, **fields)
            last_id, last_hash = event.id, event.hash
            events.append(event)
        _insert(events, [last_id, last_hash])
        named = [(e.id, p) for e in events for p in e.patient_ids.split()]
        if named:
            _NAMED.insert(named)
        mark_saved(*events)
    context.mark_audited()
    context.note_patients_audited(p for e in events for p in e.patients_named)
    return events


def _lock_head() -> tuple[int, str]:
    # SQLite has no row locks: its transactions take the write lock when they begin
    # (IMMEDIATE, see settings), which serialises appends the same way.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    while True:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT last_id, last_hash FROM {_HEAD} WHERE id = 1{lock}")  # noqa: S608
            row = cursor.fetchone()
        if row is not None:
            return row[0], row[1]
        ChainHead.objects.get_or_create(id=1, defaults={"last_hash": GENESIS_HASH})


def _insert(events: list[AuditEvent], head: list) -> None:
    """Write the events and move the chain head to the last of them."""
    rows = [_ROWS.convert([getattr(e, name) for name in _ROWS.columns]) for e in events]
    move = f"UPDATE {_HEAD} SET last_id = %s, last_hash = %s WHERE id = 1"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array per column: the statement reads the same for any number of rows,
            # so the driver parses it once rather than once per page of twenty. The head
            # moves in the same statement (a data-modifying WITH): every writer waits
            # for the head's lock, so it is held for one round trip less.
            by_column = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(f"WITH added AS ({_ROWS.unnest_sql()}) {move}", [*by_column, *head])
        else:
            cursor.execute(_ROWS.insert_sql(len(rows)), [v for values in rows for v in values])
            cursor.execute(move, head)
