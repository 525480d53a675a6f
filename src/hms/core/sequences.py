"""Gapless number sequences (medical record numbers, invoice numbers), race-free."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from hms.core.models import NumberSequence


def next_numbers(scope: str, count: int) -> range:
    """Take the next `count` numbers of `scope` under the sequence row's lock.

    Must run inside the caller's transaction: the numbers are consumed only if that
    transaction commits, and concurrent callers wait on the row lock, so no two get the
    same number and none is skipped. A bulk import takes a block per batch.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    # One statement takes the row lock, counts on and answers the new value: the
    # registration desk's busiest path pays one round trip for its number.
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    sql = f"UPDATE {table} SET last_value = last_value + %s WHERE scope = %s RETURNING last_value"  # noqa: S608 - the model's table
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, [count, scope])
            row = cursor.fetchone()
        if row is not None:
            return range(row[0] - count + 1, row[0] + 1)
        try:
            with transaction.atomic():
                NumberSequence.objects.create(scope=scope, last_value=0)
        except IntegrityError:
            pass  # created concurrently: count on it on the next pass
    raise RuntimeError(f"Could not take a number from sequence {scope!r}.")


def next_number(scope: str) -> int:
    """Take the next number of `scope`; see `next_numbers` for the lock contract."""
    return next_numbers(scope, 1)[0]
