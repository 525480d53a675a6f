"""Writing to the audit trail. Every module records through `record_event`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from hms.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from hms.core import context

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
    outcome: str = Outcome.SUCCESS,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain and return it.

    Takes the row lock on the chain head, so appends are serialised and ids are
    gapless; the lock is held until the caller's transaction commits, so call this
    last inside a service's transaction. Source address, user agent, channel, facility
    and roles come from the bound request context. `reason` must never carry patient
    data beyond identifiers: it is shown to auditors, not clinicians.
    """
    if obj is not None and not object_type:
        object_type, object_id = _object_ref(obj)
    user = actor if getattr(actor, "is_authenticated", False) else None
    fields = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "patient_id": patient_id,
        "outcome": outcome,
        "reason": reason,
    }
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS_HASH}
        )
        event = _new_event(head.last_id + 1, head.last_hash, user, username, **fields)
        event.save(force_insert=True)
        ChainHead.objects.filter(id=1).update(last_id=event.id, last_hash=event.hash)
    context.mark_audited()
    return event


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
    at = timezone.now()
    events: list[AuditEvent] = []
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS_HASH}
        )
        last_id, last_hash = head.last_id, head.last_hash
        for obj, patient_id in zip(objs, patient_ids, strict=True):
            object_type, object_id = _object_ref(obj)
            event = _new_event(
                last_id + 1,
                last_hash,
                user,
                "",
                at=at,
                action=action,
                object_type=object_type,
                object_id=object_id,
                patient_id=patient_id,
                outcome=Outcome.SUCCESS,
                reason=reason,
            )
            last_id, last_hash = event.id, event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        ChainHead.objects.filter(id=1).update(last_id=last_id, last_hash=last_hash)
    context.mark_audited()
    return events
