"""Model instances from plain SQL rows, for the few statements every request runs.

Compiling an ORM query costs more than running it when it reads one indexed row
(about half a millisecond on the reference machine), and RawQuerySet still resolves
its columns and converters on every run. A `Columns` works both out once, so a hot
statement can be written in SQL and still hand back model instances with their
values converted as the ORM would (aware datetimes, JSON, decrypted fields). Fields
not selected are deferred, loaded on first access as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


class Columns:
    """Some (by default all) concrete fields of a model, as a select list and as the
    instance built from that part of a row."""

    def __init__(self, model: type[models.Model], names: Sequence[str] = ()):
        self.model = model
        meta = model._meta
        self.fields = [meta.get_field(n) for n in names] if names else list(meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self._converting: dict[str, list] = {}
        self._selects: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def select(self, alias: str) -> str:
        """`alias.col, alias.col2, ...` in field order."""
        found = self._selects.get(alias)
        if found is None:
            qn = connection.ops.quote_name
            found = self._selects[alias] = ", ".join(f"{alias}.{qn(f.column)}" for f in self.fields)
        return found

    def build(self, values: Sequence[Any]) -> models.Model:
        """The instance these values (in `select` order) describe."""
        converting = self._converting.get(connection.vendor)
        if converting is None:
            converting = self._prepare()
        row = list(values)
        for i, expression, steps in converting:
            value = row[i]
            for step in steps:
                value = step(value, expression, connection)
            row[i] = value
        return self.model.from_db(connection.alias, self.attnames, row)

    def _prepare(self) -> list:
        # Only the columns that need converting, as most are stored as they are read.
        prepared = []
        for i, field in enumerate(self.fields):
            expression = field.get_col(self.model._meta.db_table)
            steps = connection.ops.get_db_converters(expression)
            steps += expression.get_db_converters(connection)
            if steps:
                prepared.append((i, expression, steps))
        self._converting[connection.vendor] = prepared
        return prepared


def fetch(sql: str, params: Sequence[Any], *parts: Columns) -> list[tuple]:
    """Run `sql`, whose select list is each part's columns in turn (then any plain
    values), and split every row into one instance per part plus the plain values."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        built, start = [], 0
        for part in parts:
            built.append(part.build(row[start : start + len(part)]))
            start += len(part)
        found.append((*built, *row[start:]))
    return found
