"""Number sequences: gapless blocks taken under the sequence row's lock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from hms.core.models import NumberSequence
from hms.core.sequences import next_number, next_numbers

pytestmark = pytest.mark.django_db


def test_numbers_start_at_one_and_follow_on():
    assert next_number("mrn:RGH") == 1
    assert next_numbers("mrn:RGH", 3) == range(2, 5)
    assert next_number("mrn:RGH") == 5
    assert next_number("invoice:RGH") == 1


def test_a_block_is_returned_only_if_the_transaction_commits():
    # given
    next_numbers("mrn:RGH", 2)

    def take_then_fail() -> None:
        with transaction.atomic():
            next_numbers("mrn:RGH", 10)
            raise RuntimeError("rolled back")

    # when
    with pytest.raises(RuntimeError):
        take_then_fail()

    # then
    assert next_number("mrn:RGH") == 3


def test_a_block_needs_at_least_one_number():
    with pytest.raises(ValueError, match="at least 1"):
        next_numbers("mrn:RGH", 0)
    assert NumberSequence.objects.count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQLite test database is in memory and shared-cache: a second writer fails "
    "at once instead of waiting on the lock",
)
@pytest.mark.django_db(transaction=True)
def test_blocks_taken_at_once_never_overlap():
    # given
    start = threading.Barrier(6)
    taken: list[range] = []
    errors: list[BaseException] = []

    def take(size: int) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(10):
                with transaction.atomic():
                    taken.append(next_numbers("mrn:RACE", size))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(size,)) for size in (1, 2, 3, 5, 8, 13)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    assert errors == []
    numbers = sorted(n for block in taken for n in block)
    assert numbers == list(range(1, 10 * (1 + 2 + 3 + 5 + 8 + 13) + 1))
