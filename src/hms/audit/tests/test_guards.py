"""The database refuses any change to the chain head but the append's move forward, and
on SQLite (which has no TRUNCATE) any UPDATE or DELETE of an event, bare DELETE included."""

import pytest
from django.db import DatabaseError, connection, transaction

from hms.audit.models import AuditEvent, AuditEventPatient, ChainHead
from hms.audit.services import Action, record_event
from hms.audit.tests.helpers import raw_sql, run_verify

pytestmark = pytest.mark.django_db


def _refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(exc.value)


def _head() -> tuple[int, str]:
    return ChainHead.objects.values_list("last_id", "last_hash").get()


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_chainhead",
        "DELETE FROM audit_chainhead WHERE id = 1",
        "UPDATE audit_chainhead SET last_id = 0, last_hash = '0'",
        "UPDATE audit_chainhead SET last_id = 3",
        "UPDATE audit_chainhead SET last_hash = 'forged'",
        "UPDATE audit_chainhead SET id = 2",
    ],
)
def test_the_chain_head_cannot_be_removed_moved_back_or_rewritten(chain, sql):
    # given
    before = _head()

    # when
    refusal = _refused(sql)

    # then
    assert "audit_chainhead only moves forward" in refusal
    assert _head() == before == (5, chain[-1].hash)
    assert run_verify().exit_code == 0


def test_the_append_still_moves_the_head_forward(chain):
    # when
    event = record_event(action=Action.READ, username="nurse1")

    # then
    assert _head() == (6, event.hash)
    assert run_verify().exit_code == 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL: migration 0002's trigger")
@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE audit_auditevent SET reason = 'nothing' WHERE id = 3", "UPDATE refused"),
        ("DELETE FROM audit_auditevent WHERE id = 5", "DELETE refused"),
        ("DELETE FROM audit_auditevent", "DELETE refused"),
    ],
)
def test_sqlite_refuses_to_change_or_remove_events(chain, sql, refusal):
    # when
    message = _refused(sql)

    # then
    assert message == f"audit_auditevent is append-only: {refusal}"
    assert list(AuditEvent.objects.order_by("id").values_list("reason", flat=True)) == [
        f"event {n}" for n in range(5)
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL: migration 0004's trigger")
@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE audit_auditeventpatient SET patient_id = 'someone-else'", "UPDATE refused"),
        ("DELETE FROM audit_auditeventpatient WHERE patient_id = 'p-1'", "DELETE refused"),
        ("DELETE FROM audit_auditeventpatient", "DELETE refused"),
    ],
)
def test_sqlite_refuses_to_change_or_remove_who_was_shown(chain, sql, refusal):
    # given
    record_event(action=Action.READ, username="nurse1", patient_ids=["p-1", "p-2"])

    # when
    message = _refused(sql)

    # then
    assert message == f"audit_auditeventpatient is append-only: {refusal}"
    assert sorted(AuditEventPatient.objects.values_list("patient_id", flat=True)) == [
        "p-1",
        "p-2",
    ]


def test_with_the_guards_switched_off_the_head_can_be_moved(chain):
    # given: the positive control for the refusals above
    with raw_sql() as cursor:
        cursor.execute("UPDATE audit_chainhead SET last_id = 3")

    # then
    assert _head()[0] == 3
    assert run_verify().exit_code == 1
