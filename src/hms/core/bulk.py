"""Fast inserts of many rows (imports): COPY on PostgreSQL, executemany elsewhere.

`bulk_create` builds a model instance and compiles SQL per row, which is most of the
cost when an import writes forty search-key rows per patient. Here rows are plain
tuples of database values: `Table.convert` turns Python values into them (encrypting
encrypted fields) outside the writing transaction, `Table.insert` writes them inside
it. No save(), no signals: the caller owns every rule the service would apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

from hms.core.fields import EncryptedTextField

# Fields whose Python value is already what the database stores.
_PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "SmallIntegerField",
    "TextField",
}


class Table:
    """A model's table and the columns (field names or attnames) a batch writes."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.columns = tuple(columns)
        fields = [model._meta.get_field(name) for name in self.columns]
        self._converters = [_converter(f) for f in fields]
        self._db_columns = [f.column for f in fields]

    def convert(self, values: Sequence[Any]) -> tuple:
        """Python values, in column order, to what the database stores."""
        return tuple(
            value if convert is None else convert(value)
            for convert, value in zip(self._converters, values, strict=True)
        )

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        """Write converted rows; runs inside the caller's transaction."""
        qn = connection.ops.quote_name
        table = qn(self.model._meta.db_table)
        names = ", ".join(qn(c) for c in self._db_columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(self._db_columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))  # noqa: S608


def _converter(field: models.Field):
    if field.get_internal_type() in _PLAIN and not isinstance(field, EncryptedTextField):
        return None
    if isinstance(field, models.UUIDField):
        return None if connection.features.has_native_uuid_field else _hex
    if isinstance(field, models.DateField):  # and DateTimeField
        return _last_value_cached(field)
    return lambda value: field.get_db_prep_save(value, connection)


def _hex(value):
    return value.hex if value is not None else None


def _last_value_cached(field: models.Field):
    # A batch stamps every row with one time: convert it once.
    last: list = [object(), None]

    def convert(value):
        if value is not last[0]:
            last[:] = [value, field.get_db_prep_save(value, connection)]
        return last[1]

    return convert


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, so related rows can be written with them.

    PostgreSQL takes them from the column's sequence. SQLite has one writer at a time
    and the caller's transaction holds the write lock, so the next ids past the
    largest are free until it commits.
    """
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({qn(column)}), 0) FROM {qn(table)}")  # noqa: S608
        largest = cursor.fetchone()[0]
        # AUTOINCREMENT tables remember ids of deleted rows too: never hand those out.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        remembered = cursor.fetchone()
        start = max(largest, remembered[0] if remembered else 0) + 1
        return list(range(start, start + count))


def refresh_statistics(*models_: type[models.Model]) -> None:
    """Let PostgreSQL's planner see how big the tables an import fills have grown.

    Autovacuum analyses a table some time after it grows; until then the planner
    believes the first batches' empty tables and picks plans (sequential scans,
    nested loops) that take seconds on the later ones.
    """
    if connection.vendor != "postgresql":
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {qn(model._meta.db_table)}")
