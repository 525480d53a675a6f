"""The base serializer copies declared fields instead of re-creating them: each
instance must still get its own bound fields, and nothing may leak between them."""

from __future__ import annotations

import gc
import threading
import weakref

from rest_framework import serializers

from hms.core.api.serializers import Serializer


class Line(Serializer):
    code = serializers.CharField(max_length=5)


class Order(Serializer):
    note = serializers.CharField(max_length=10)
    count = serializers.IntegerField(min_value=1)
    tags = serializers.ListField(child=serializers.CharField(max_length=3))
    lines = Line(many=True)
    shout = serializers.SerializerMethodField()

    def get_shout(self, value) -> str:
        return value["note"].upper() + self.context.get("mark", "")


def test_each_instance_binds_its_own_fields_and_leaves_the_declared_ones_alone():
    first, second = Order(), Order()
    assert first.fields["note"] is not second.fields["note"]
    assert first.fields["note"].parent is first
    assert first.fields["tags"].child.parent is first.fields["tags"]
    kept, dropped = weakref.ref(first), weakref.ref(second)

    # when: one instance is let go
    del second
    gc.collect()

    # then: nothing the class keeps still points at it (a declared field bound to it would)
    assert dropped() is None
    assert kept() is first


def test_validation_and_output_behave_as_drf_does():
    good = Order(data={"note": "hi", "count": 2, "tags": ["a"], "lines": [{"code": "X1"}]})
    assert good.is_valid(), good.errors
    bad = Order(data={"note": "x" * 11, "count": 0, "tags": ["long"], "lines": [{"code": 5}]})
    assert not bad.is_valid()
    assert set(bad.errors) == {"note", "count", "tags"}
    assert good.is_valid()
    assert not good.errors
    shown = Order({"note": "hi", "count": 1, "tags": [], "lines": []}, context={"mark": "!"})
    assert shown.data["shout"] == "HI!"


def test_validators_are_not_shared_into_growth():
    # A field's validators list is the declared one's; validating must not add to it, or
    # each later instance would report the same error once more.
    errors = []
    for _ in range(3):
        order = Order(data={"note": "x" * 20, "count": 1, "tags": [], "lines": []})
        assert not order.is_valid()
        errors.append(order.errors["note"])
    assert errors == [["Ensure this field has no more than 10 characters."]] * 3


def test_instances_validated_at_once_in_threads_keep_their_own_errors():
    results: dict[int, bool] = {}

    def check(n: int) -> None:
        for _ in range(200):
            note = "ok" if n % 2 else "x" * 11
            s = Order(data={"note": note, "count": 1, "tags": [], "lines": []})
            if s.is_valid() != bool(n % 2):
                results[n] = False
                return
        results[n] = True

    threads = [threading.Thread(target=check, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results.values())
    assert len(results) == 6
