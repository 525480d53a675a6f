"""Fast inserts of many rows (imports): COPY on PostgreSQL, executemany elsewhere; and
lookups by many values at once.

`bulk_create` builds a model instance and compiles SQL per row, which is most of the
cost when an import writes forty search-key rows per patient. Here rows are plain
tuples of database values: `Table.convert` turns Python values into them (encrypting
encrypted fields) outside the writing transaction, `Table.insert` writes them inside
it. No save(), no signals: the caller owns every rule the service would apply.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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


# PostgreSQL: fewer rows than this go in one INSERT (one round trip); more by COPY,
# which takes two round trips but streams a batch of any size cheaply.
_COPY_FROM = 100


class Table:
    """A model's table and the columns (field names or attnames) a batch writes."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        self.model = model
        self.columns = tuple(columns)
        fields = [model._meta.get_field(name) for name in self.columns]
        # Only the columns whose value needs converting, by position.
        self._converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f))]
        self._db_columns = [f.column for f in fields]
        self._unnest: str | None = None

    def convert(self, values: Sequence[Any]) -> tuple:
        """Python values, in column order, to what the database stores."""
        if len(values) != len(self._db_columns):
            raise ValueError(f"{len(values)} values for {len(self._db_columns)} columns")
        row = list(values)
        for position, convert in self._converters:
            row[position] = convert(row[position])
        return tuple(row)

    def insert(self, rows: Iterable[Sequence[Any]]) -> None:
        """Write converted rows; runs inside the caller's transaction."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.executemany(self._insert_sql(1), rows)
            elif len(rows) < _COPY_FROM or _in_pipeline():
                cursor.execute(self._insert_sql(len(rows)), [v for row in rows for v in row])
            else:
                with cursor.cursor.copy(self._copy_sql()) as copy:
                    for row in rows:
                        copy.write_row(row)

    def insert_in_order(self, rows: Iterable[tuple[str, int]]) -> None:
        """Write rows of (text, whole number) in the order of their text. Inserts into
        an index that leads with the text then land on its pages one after another
        (PatientNameKey's: a third less work for PostgreSQL than in patient order)."""
        rows = rows if isinstance(rows, list) else list(rows)
        if connection.vendor != "postgresql" or len(rows) < _COPY_FROM or _in_pipeline():
            self.insert(sorted(rows))
            return
        # Sorted as lines of COPY's text format: cheaper than sorting tuples, and the
        # tab sorts before any character of a name, so the order is the same.
        lines = sorted([f"{_copy_text(text)}\t{number}\n" for text, number in rows])
        with connection.cursor() as cursor, cursor.cursor.copy(self._copy_sql()) as copy:
            copy.write("".join(lines))

    def unnest_sql(self) -> str:
        """PostgreSQL: the INSERT of any number of rows sent as one array per column
        (`[list(c) for c in zip(*rows)]`). The statement reads the same for one row or
        a hundred and has as many parameters as columns, so the driver parses it once
        (it parses anew each statement of more than 50 parameters)."""
        if self._unnest is None:
            qn = connection.ops.quote_name
            fields = [self.model._meta.get_field(c) for c in self.columns]
            names = ", ".join(qn(c) for c in self._db_columns)
            arrays = ", ".join(f"%s::{f.db_type(connection).split('(')[0]}[]" for f in fields)
            table = qn(self.model._meta.db_table)
            self._unnest = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
        return self._unnest

    def insert_sql(self, count: int) -> str:
        """The INSERT of `count` rows, one placeholder per value."""
        return self._insert_sql(count)

    def _insert_sql(self, count: int) -> str:
        qn = connection.ops.quote_name
        names = ", ".join(qn(c) for c in self._db_columns)
        row = "(" + ", ".join(["%s"] * len(self._db_columns)) + ")"
        table = qn(self.model._meta.db_table)
        return f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * count)}"  # noqa: S608

    def _copy_sql(self) -> str:
        qn = connection.ops.quote_name
        names = ", ".join(qn(c) for c in self._db_columns)
        return f"COPY {qn(self.model._meta.db_table)} ({names}) FROM STDIN"


def insert_returning_id(table: Table, row: Sequence[Any], *, skip_conflicts: bool = False):
    """Write one converted row and return its new id; with `skip_conflicts`, a row a
    unique constraint already holds is left as it is (ON CONFLICT DO NOTHING, which
    waits for one being written) and None comes back. One statement, no savepoint."""
    pk = table.model._meta.pk.column
    sql = table.insert_sql(1) + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk)}", row)
            found = cursor.fetchone()
            return found[0] if found else None
        cursor.execute(sql, row)
        return cursor.lastrowid if cursor.rowcount else None


def fetch_prepared(sql: str, params: dict[str, Any]) -> list[tuple]:
    """Run a read on a hot path and return its rows. On PostgreSQL it is a prepared
    statement on the connection (its parameters bound by the server): a query of
    several joins takes longer to plan than to run, and is planned once per
    connection instead of on every call."""
    connection.ensure_connection()
    if connection.vendor != "postgresql" or connection.connection.prepare_threshold is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    import psycopg  # noqa: PLC0415 - only where PostgreSQL is used

    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


_NEW_ROWS: dict[type[models.Model], tuple[Table, list]] = {}


def insert_one(instance: models.Model) -> None:
    """Save a new instance of a model with an automatic id as `save()` would (defaults,
    auto_now, encrypted fields), in one plain statement. For the rows every request of
    a hot path writes: compiling the ORM's INSERT cost more than running it. No signals
    are sent (the project has no receivers); the id is set and the instance saved."""
    model = type(instance)
    found = _NEW_ROWS.get(model)
    if found is None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        found = _NEW_ROWS[model] = (Table(model, [f.attname for f in fields]), fields)
    table, fields = found
    instance.pk = insert_returning_id(
        table, table.convert([f.pre_save(instance, True) for f in fields])
    )
    instance._state.adding = False
    instance._state.db = connection.alias


@contextmanager
def pipelined() -> Iterator[None]:
    """On PostgreSQL, send the statements run inside together and wait for their
    results once, at the end: several inserts in one round trip. Only for statements
    whose results nobody reads; an error surfaces when the block ends."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _in_pipeline() -> bool:
    # COPY cannot run in a pipeline.
    from psycopg import pq

    return connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def any_of(column: str, values: Iterable[Any]) -> tuple[str, list]:
    """SQL true when `column` is one of `values`, and its one parameter: an array on
    PostgreSQL, a JSON list on SQLite. A thousand placeholders cost more to build and
    parse than the lookup itself."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    in_json = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - a column name
    return in_json, [json.dumps(values, default=str)]


def _converter(field: models.Field):
    if field.get_internal_type() in _PLAIN and not isinstance(field, EncryptedTextField):
        return None
    if isinstance(field, models.UUIDField):
        return None if connection.features.has_native_uuid_field else _hex
    if type(field) is models.DateField and connection.vendor == "postgresql":
        return None  # the driver sends dates as they are
    if isinstance(field, models.DateField):  # and DateTimeField
        return _last_value_cached(field)
    return lambda value: field.get_db_prep_save(value, connection)


def _hex(value):
    return value.hex if value is not None else None


def _last_value_cached(field: models.Field):
    # A batch stamps every row with one time: convert it once. The pair is replaced
    # whole, as a Table at module level is shared by a worker's threads: one thread must
    # never return the value another converted.
    last: list = [(object(), None)]

    def convert(value):
        seen, converted = last[0]
        if value is not seen:
            converted = field.get_db_prep_save(value, connection)
            last[0] = (value, converted)
        return converted

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
