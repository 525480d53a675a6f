"""Key rotation for encrypted fields: which values each key protects, re-encrypting
the older keys' values with the current key, and retiring a key nothing uses.

Every EncryptedTextField (and EncryptedJSONField, EncryptedBinaryField) of every
installed model is found through the app registry, so a new app's encrypted columns
rotate without changes here.
Stored values start with their key id and ":" (see hms.core.crypto), which is what the
queries below compare; the values themselves are decrypted only to be re-encrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction

from hms.core import crypto
from hms.core.fields import EncryptedTextField

BATCH_SIZE = 1000


@dataclass(frozen=True)
class Column:
    model: type[models.Model]
    field: EncryptedTextField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"

    def sql(self) -> tuple[str, str, str]:
        qn = connection.ops.quote_name
        return (
            qn(self.model._meta.db_table),
            qn(self.field.column),
            qn(self.model._meta.pk.column),
        )


def encrypted_columns() -> list[Column]:
    return [
        Column(model, field)
        for model in apps.get_models()
        if not model._meta.proxy and model._meta.managed
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def _count(column: Column, where: str, params: list) -> int:
    table, col, _ = column.sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {col} IS NOT NULL AND {col} <> '' AND {where}",  # noqa: S608
            params,
        )
        return cursor.fetchone()[0]


def _has_key(col: str, key_id: str) -> tuple[str, list]:
    prefix = f"{key_id}:"
    return f"substr({col}, 1, {len(prefix)}) = %s", [prefix]


def usage() -> dict[str, dict[str, int]]:
    """Values per key id, per column; key ids found in the data but not held appear too
    (under "?" when a value has no key id at all)."""
    held = list(crypto.keyring().keys)
    result: dict[str, dict[str, int]] = {key_id: {} for key_id in held}
    for column in encrypted_columns():
        _, col, _ = column.sql()
        total = _count(column, "1 = 1", [])
        counted = 0
        for key_id in held:
            n = _count(column, *_has_key(col, key_id))
            if n:
                result[key_id][column.label] = n
                counted += n
        if total > counted:
            result.setdefault("?", {})[column.label] = total - counted
    return result


def _stale_batch(column: Column, current: str, after, size: int) -> list[tuple]:
    table, col, pk = column.sql()
    where, params = _has_key(col, current)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> '' "  # noqa: S608
        f"AND NOT ({where}) AND {pk} > %s ORDER BY {pk} LIMIT %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, after, size])
        return cursor.fetchall()


def stale(column: Column, current: str) -> int:
    _, col, _ = column.sql()
    where, params = _has_key(col, current)
    return _count(column, f"NOT ({where})", params)


def rotate_column(
    column: Column,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Re-encrypt with the current key every value of `column` an older key wrote.

    One transaction per batch, the batch's rows locked (PostgreSQL) while they are
    rewritten; each row's update also checks the value is still the one read. A run
    stopped at any point loses nothing: every value is readable with the key it has,
    and the next run carries on with what is left. Returns how many values changed.
    """
    current = crypto.keyring().current_id
    table, col, pk = column.sql()
    done, after = 0, _lowest(column)
    while True:
        with transaction.atomic():
            rows = _stale_batch(column, current, after, batch_size)
            if not rows:
                return done
            updates = [(crypto.reencrypt(raw), key, raw) for key, raw in rows]
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",  # noqa: S608
                    updates,
                )
        done += len(rows)
        after = rows[-1][0]
        if on_batch:
            on_batch(len(rows))


def _lowest(column: Column):
    # Primary keys are integers or UUIDs; start below every one of them.
    internal = column.model._meta.pk.get_internal_type()
    return "" if internal in ("UUIDField", "CharField") else -(2**63)


def columns_to_rotate() -> Iterator[tuple[Column, int]]:
    current = crypto.keyring().current_id
    for column in encrypted_columns():
        n = stale(column, current)
        if n:
            yield column, n


class KeyInUse(Exception):
    pass


def retire(key_id: str) -> None:
    """Remove `key_id` from the key file; refused while any value still uses it."""
    ring = crypto.keyring()
    if key_id not in ring.keys:
        raise KeyError(key_id)
    if key_id == ring.current_id:
        raise KeyInUse(f"{key_id} is the current key: rotate first.")
    in_use = usage().get(key_id, {})
    if in_use:
        total = sum(in_use.values())
        raise KeyInUse(
            f"{total} value(s) still use {key_id}: run `hms keys rotate --resume` first."
        )
    crypto.remove_key(key_id)
