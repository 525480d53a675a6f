"""Writing to the audit trail. Every module records through `record_event`."""

from __future__ import annotations

import unicodedata
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
    return "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in str(value))


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    public_id = getattr(obj, "external_id", None) or obj.pk
    return obj._meta.label, str(public_id)


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
    ctx = context.current()
    if obj is not None and not object_type:
        object_type, object_id = _object_ref(obj)
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS_HASH}
        )
        event = AuditEvent(
            id=head.last_id + 1,
            at=timezone.now(),
            actor=user,
            username=_visible(user.get_username() if user else username)[:150],
            roles=",".join(ctx.roles)[:300],
            facility_code=ctx.facility_code,
            action=action,
            object_type=_visible(object_type)[:100],
            object_id=_visible(object_id)[:64],
            patient_id=_visible(patient_id)[:64],
            source_ip=ctx.source_ip,
            user_agent=ctx.user_agent,
            channel=ctx.channel,
            outcome=outcome,
            reason=_visible(reason)[:500],
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        ChainHead.objects.filter(id=1).update(last_id=event.id, last_hash=event.hash)
    context.mark_audited()
    return event
