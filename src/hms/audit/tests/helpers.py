"""Helpers for the audit-trail tests: raw-SQL tampering and the verify command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection

# The test clock (see the `clock` fixture).
NOW = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the append-only trigger and row locks under real concurrency",
)


@contextmanager
def raw_sql() -> Iterator:
    """A cursor with the table owner's rights: on PostgreSQL the append-only trigger is off.

    An attacker holding the owner's role can disable the trigger; the hash chain is what
    still catches them. The trigger is switched back on afterwards.
    """
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            # The test's transaction holds deferred foreign-key checks, which ALTER TABLE
            # will not run over: settle them first.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        try:
            yield cursor
        finally:
            if postgresql:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
                )
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@dataclass(frozen=True)
class VerifyRun:
    exit_code: int
    stdout: str
    stderr: str


def run_verify() -> VerifyRun:
    """`hms audit verify`, with its exit code and both output streams captured."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return VerifyRun(exc.code, out.getvalue(), err.getvalue())
    return VerifyRun(0, out.getvalue(), err.getvalue())
