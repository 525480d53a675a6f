"""Helpers for tests of any app: transactional tests empty every table between tests,
which the audit trail's guards refuse (hms.audit.guards)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from hms.audit import guards


@contextmanager
def flush_past_the_audit_guards() -> Iterator[None]:
    """While open, the test database's flush lifts the guards around emptying the
    tables and restores them after, in the same transaction."""
    operations = type(connection.ops)
    sql_flush = operations.sql_flush

    def flush_lifting_guards(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        if not statements:
            return statements
        vendor = self.connection.vendor
        return [
            *guards.lift_statements(vendor),
            *statements,
            *guards.restore_statements(vendor),
        ]

    operations.sql_flush = flush_lifting_guards
    try:
        yield
    finally:
        operations.sql_flush = sql_flush
