"""record_events: one event per object, written as one batch under one chain lock."""

import pytest

from hms.audit.models import AuditEvent, ChainHead
from hms.audit.selectors import verify_chain
from hms.audit.services import Action, record_event, record_events
from hms.core.models import Facility


@pytest.mark.django_db
def test_a_batch_continues_the_chain_as_single_appends_would():
    # given: one event already on the chain, and three objects to audit
    first = record_event(action=Action.LOGIN, username="clerk")
    objs = [Facility.objects.create(name=f"F{n}", code=f"F{n}") for n in range(3)]

    # when
    events = record_events(
        action=Action.READ, actor=None, objs=objs, patient_ids=["p0", "p1", "p2"], reason="search"
    )

    # then: gapless ids, each pointing at the previous hash, stored as computed
    assert [e.id for e in events] == [first.id + 1, first.id + 2, first.id + 3]
    assert events[0].prev_hash == first.hash
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    rows = list(AuditEvent.objects.filter(id__gt=first.id).order_by("id"))
    assert [(r.patient_id, r.object_id, r.reason) for r in rows] == [
        ("p0", str(objs[0].external_id), "search"),
        ("p1", str(objs[1].external_id), "search"),
        ("p2", str(objs[2].external_id), "search"),
    ]
    head = ChainHead.objects.get()
    assert (head.last_id, head.last_hash) == (events[-1].id, events[-1].hash)
    assert verify_chain().ok


@pytest.mark.django_db
def test_an_empty_batch_writes_nothing():
    assert record_events(action=Action.READ, actor=None, objs=[], patient_ids=[]) == []
    assert AuditEvent.objects.count() == 0
