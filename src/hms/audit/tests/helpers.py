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

from hms.audit import guards

# The test clock (see the `clock` fixture).
NOW = datetime(2025, 3, 3, 9, 0, 0, tzinfo=UTC)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the append-only trigger and row locks under real concurrency",
)


@contextmanager
def raw_sql() -> Iterator:
    """A cursor with the table owner's rights (on SQLite, the file's): the audit trail's
    guards are off.

    An attacker holding those rights can switch the guards off; the hash chain and the
    anchors are what still catch them. The guards are switched back on afterwards.
    """
    vendor = connection.vendor
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign-key checks, which ALTER TABLE
        # will not run over on PostgreSQL: settle them first.
        _settle_constraints(cursor)
        for statement in guards.lift_statements(vendor):
            cursor.execute(statement)
        try:
            yield cursor
        finally:
            _settle_constraints(cursor)
            for statement in guards.restore_statements(vendor):
                cursor.execute(statement)
            if vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _settle_constraints(cursor) -> None:
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


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
