"""Anchoring the audit chain outside the database.

Whoever can rewrite the database (the owner switching the guards off, a superuser, a
restored backup) can rewrite the tail of the chain and recompute every hash after it,
or empty the trail and the head together; the chain alone cannot tell. So the last
sealed row (id and hash) is written, with the time, somewhere the database user cannot
rewrite: a file opened append-only (`chattr +a`, or owned by another user) and, if
configured, syslog or a remote syslog server. `verify` then requires each anchored row
to be in the chain with its anchored hash, and the chain to reach the newest anchor.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from logging.handlers import SysLogHandler
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from hms.audit.models import AuditEvent, ChainHead
from hms.audit.selectors import ChainReport, verify_chain

TAG = "hms-audit-anchor"
_CHECKED_PER_QUERY = 500


@dataclass(frozen=True)
class Anchor:
    id: int
    hash: str
    at: datetime

    def line(self) -> str:
        body = {"id": self.id, "hash": self.hash, "at": self.at.isoformat()}
        return f"{TAG} {json.dumps(body, sort_keys=True)}"


def last_sealed() -> Anchor | None:
    """The newest row whose place in the chain is final, or None on an empty trail.

    Today that is the chain head, which every append moves under its lock.
    """
    head = ChainHead.objects.filter(id=1).first()
    if head is None or head.last_id == 0:
        return None
    return Anchor(head.last_id, head.last_hash, timezone.now())


def anchor_chain(*, path: Path | None = None, syslog: str | None = None) -> Anchor | None:
    """Append the last sealed row to the anchor file (settings.HMS_AUDIT_ANCHOR_FILE)
    and send it to syslog (settings.HMS_AUDIT_ANCHOR_SYSLOG) when one is set.

    Returns the anchor, or None when the trail is still empty.
    """
    anchor = last_sealed()
    if anchor is None:
        return None
    line = anchor.line()
    _append(Path(path or settings.HMS_AUDIT_ANCHOR_FILE), line)
    address = settings.HMS_AUDIT_ANCHOR_SYSLOG if syslog is None else syslog
    if address:
        _send_to_syslog(address, line)
    return anchor


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND only: the one way to write a file that `chattr +a` has made append-only.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _send_to_syslog(address: str, line: str) -> None:
    """`address` is a local socket (/dev/log) or host[:port] of a syslog server (UDP)."""
    if address.startswith("/"):
        target: str | tuple[str, int] = address
    else:
        host, _, port = address.partition(":")
        target = (host, int(port or 514))
    handler = SysLogHandler(address=target, facility=SysLogHandler.LOG_AUTHPRIV)
    try:
        handler.emit(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
    finally:
        handler.close()


def read_anchors(path: Path | None = None) -> list[Anchor]:
    """The anchors in the anchor file, or in any file holding its lines (a copy of the
    syslog server's log); other lines are skipped. A missing file holds none."""
    try:
        text = Path(path or settings.HMS_AUDIT_ANCHOR_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    found = []
    for line in text.splitlines():
        _, tag, body = line.partition(f"{TAG} ")
        if tag:
            try:
                data = json.loads(body)
                found.append(
                    Anchor(int(data["id"]), str(data["hash"]), datetime.fromisoformat(data["at"]))
                )
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash mid-write names no row
    return found


def verify_with_anchors(path: Path | None = None) -> tuple[ChainReport, list[Anchor]]:
    """The chain verified on its own, then against the anchors.

    The anchors are read first, so rows appended and anchored while this runs are not
    taken for missing ones.
    """
    anchors = read_anchors(path)
    return check_anchors(verify_chain(), anchors), anchors


def check_anchors(report: ChainReport, anchors: list[Anchor]) -> ChainReport:
    """A chain that is intact on its own must also hold every anchored row with the hash
    it had when anchored, and reach the newest anchor: fewer rows is a truncated trail."""
    if not report.ok or not anchors:
        return report
    newest = max(anchors, key=lambda a: a.id)
    if newest.id > report.checked:
        return ChainReport(
            False,
            report.checked,
            report.last_hash,
            report.checked + 1,
            f"rows {report.checked + 1} to {newest.id} are missing "
            f"(row {newest.id} was anchored at {_when(newest)})",
        )
    wanted = sorted({a.id: a for a in anchors}.items())
    for start in range(0, len(wanted), _CHECKED_PER_QUERY):
        chunk = dict(wanted[start : start + _CHECKED_PER_QUERY])
        stored = dict(AuditEvent.objects.filter(id__in=chunk).values_list("id", "hash"))
        for row_id, anchor in chunk.items():
            if stored.get(row_id) != anchor.hash:
                return ChainReport(
                    False,
                    row_id - 1,
                    report.last_hash,
                    row_id,
                    f"row {row_id} or one before it was rewritten "
                    f"(its hash is not the one anchored at {_when(anchor)})",
                )
    return report


def _when(anchor: Anchor) -> str:
    return anchor.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
