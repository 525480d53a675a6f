"""Plain-row inserts and lookups (hms.core.bulk), on whichever database the run uses."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from hms.core.bulk import Table, any_of, pipelined, reserve_ids
from hms.core.models import NumberSequence

pytestmark = pytest.mark.django_db

SEQUENCES = Table(NumberSequence, ["scope", "last_value"])


def stored() -> dict[str, int]:
    return dict(NumberSequence.objects.values_list("scope", "last_value"))


@pytest.mark.parametrize("count", [1, 3, 150])  # one INSERT below a hundred rows, COPY above
def test_insert_writes_every_row_as_given(count):
    rows = [SEQUENCES.convert((f"scope-é-{i}", i * 7)) for i in range(count)]
    with transaction.atomic():
        SEQUENCES.insert(iter(rows))
    assert stored() == {f"scope-é-{i}": i * 7 for i in range(count)}


def test_insert_of_nothing_writes_nothing():
    SEQUENCES.insert([])
    assert stored() == {}


@pytest.mark.parametrize("count", [5, 150])
def test_insert_in_order_keeps_awkward_text_intact(count):
    awkward = ["tab\there", "back\\slash", "new\nline", "O'Brien; DROP TABLE x", "名前"]
    rows = [(f"{awkward[i % len(awkward)]}-{i}", i) for i in range(count)]
    with transaction.atomic():
        SEQUENCES.insert_in_order(reversed(rows))
    assert stored() == dict(rows)


def test_convert_refuses_a_row_of_the_wrong_width():
    with pytest.raises(ValueError, match="1 values for 2 columns"):
        SEQUENCES.convert(("only-scope",))


def test_a_failure_inside_a_pipeline_surfaces_as_an_integrity_error_and_nothing_stays():
    def write_twice():
        with transaction.atomic(), pipelined():
            SEQUENCES.insert([("twice", 1)])
            SEQUENCES.insert([("twice", 2)])

    with pytest.raises(IntegrityError):
        write_twice()
    assert stored() == {}


def test_inserts_in_a_pipeline_are_all_written():
    with transaction.atomic(), pipelined():
        SEQUENCES.insert([("a", 1)])
        SEQUENCES.insert_in_order([(f"k{i:03}", i) for i in range(120)])
    assert len(stored()) == 121


def test_any_of_matches_exactly_the_values_given():
    SEQUENCES.insert([("x", 1), ("y", 2), ("z", 3)])
    where, params = any_of("scope", ["x", "z", "nobody", "' OR 1=1 --"])
    table = NumberSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT scope FROM {table} WHERE {where} ORDER BY scope", params)  # noqa: S608
        assert [r[0] for r in cursor.fetchall()] == ["x", "z"]


def test_reserved_ids_are_fresh_and_distinct():
    NumberSequence.objects.create(scope="existing")
    with transaction.atomic():
        ids = reserve_ids(NumberSequence, 3)
        assert len(set(ids)) == 3
        assert min(ids) > NumberSequence.objects.get().pk
        with_id = Table(NumberSequence, ["id", "scope", "last_value"])
        with_id.insert([(pk, f"r{pk}", 0) for pk in ids])
    assert NumberSequence.objects.count() == 4
