"""Background tasks of the audit trail, enqueued by the worker's periodic beat
(settings.HMS_PERIODIC_TASKS)."""

from __future__ import annotations

from hms.audit.anchors import anchor_chain
from hms.core.tasks import task


@task()
def anchor_audit_chain() -> int | None:
    """Anchor the chain's last sealed row outside the database; its id, or None."""
    anchor = anchor_chain()
    return anchor.id if anchor else None
