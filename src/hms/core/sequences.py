"""Gapless number sequences (medical record numbers, invoice numbers), race-free."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from hms.core.models import NumberSequence


def next_numbers(scope: str, count: int) -> range:
    """Take the next `count` numbers of `scope` under the sequence row's lock.

    Must run inside the caller's transaction: the numbers are consumed only if that
    transaction commits, and concurrent callers wait on the row lock, so no two get the
    same number and none is skipped. A bulk import takes a block per batch.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    for _ in range(3):
        row = NumberSequence.objects.select_for_update().filter(scope=scope).first()
        if row is None:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(scope=scope, last_value=0)
            except IntegrityError:
                pass  # created concurrently: lock it on the next pass
            continue
        first = row.last_value + 1
        row.last_value += count
        row.save(update_fields=["last_value"])
        return range(first, row.last_value + 1)
    raise RuntimeError(f"Could not take a number from sequence {scope!r}.")


def next_number(scope: str) -> int:
    """Take the next number of `scope`; see `next_numbers` for the lock contract."""
    return next_numbers(scope, 1)[0]
