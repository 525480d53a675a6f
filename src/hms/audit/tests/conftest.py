"""Fixtures for the audit-trail tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from hms.audit.models import AuditEvent
from hms.audit.services import Action, Outcome, record_event
from hms.audit.tests.helpers import NOW


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    """Each test anchors to a file of its own, and syslog is off."""
    settings.HMS_AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.log"
    settings.HMS_AUDIT_ANCHOR_SYSLOG = ""
    return settings.HMS_AUDIT_ANCHOR_FILE


@pytest.fixture
def clock():
    """A frozen clock at NOW; `clock.shift(seconds)` moves it forward."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chain(db) -> list[AuditEvent]:
    """Five events, ids 1 to 5, written through the service on an empty trail."""
    assert AuditEvent.objects.count() == 0
    return [
        record_event(action=Action.READ, username="nurse1", reason=f"event {n}") for n in range(5)
    ]


@pytest.fixture
def trail(clock) -> dict[str, AuditEvent]:
    """Five events over four days before NOW, for the search pages and the API.

    Times are UTC; date filters use the facility's zone (Riverside: Africa/Nairobi, UTC+3).
    `late_feb28` is the last event of 28 February there; `early_mar1` is still 28 February
    in UTC but already 1 March in Nairobi.
    """
    plan = [
        ("feb27", (2, 27, 10, 0), Action.READ, "nurse_amina", "MRN-1", Outcome.SUCCESS),
        ("late_feb28", (2, 28, 20, 30), Action.UPDATE, "nurse_amina", "MRN-2", Outcome.SUCCESS),
        ("early_mar1", (2, 28, 21, 30), Action.LOGIN_FAILED, "mallory", "", Outcome.DENIED),
        ("mar1", (3, 1, 12, 0), Action.READ, "dr_zoe", "MRN-1", Outcome.DENIED),
        ("mar2", (3, 2, 8, 0), Action.PRINT, "dr_zoe", "MRN-3", Outcome.FAILURE),
    ]
    events = {}
    for key, at, action, username, patient_id, outcome in plan:
        clock.move_to(datetime(2025, *at, tzinfo=UTC))
        events[key] = record_event(
            action=action,
            username=username,
            patient_id=patient_id,
            outcome=outcome,
            reason=f"trail {key}",
        )
    clock.move_to(NOW)
    return events
