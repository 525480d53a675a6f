"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the audit table, whoever asks."""

import pytest
from django.db import DatabaseError, connection, transaction

from hms.audit.models import AuditEvent, AuditEventPatient
from hms.audit.services import Action, record_event
from hms.audit.tests.helpers import postgresql_only, raw_sql, run_verify

pytestmark = [postgresql_only, pytest.mark.django_db]


def _trigger_state() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_event_append_only'")
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET reason = 'nothing' WHERE id = 3",
        "DELETE FROM audit_auditevent WHERE id = 3",
        "DELETE FROM audit_auditevent",
    ],
)
def test_raw_update_and_delete_are_refused(chain, sql):
    # when
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)

    # then
    assert "audit_auditevent is append-only" in str(exc.value)
    assert exc.value.__cause__.sqlstate == "42501"  # insufficient_privilege
    assert list(AuditEvent.objects.order_by("id").values_list("reason", flat=True)) == [
        f"event {n}" for n in range(5)
    ]
    assert run_verify().exit_code == 0


def test_orm_update_and_delete_are_refused(chain):
    # when / then
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(id=2).update(reason="tidied")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(id=2).delete()
    assert AuditEvent.objects.get(id=2).reason == "event 1"


def test_owner_who_disables_the_trigger_is_still_caught_by_the_chain(chain):
    # given
    assert _trigger_state() == "O"
    with raw_sql() as cursor:
        assert _trigger_state() == "D"
        cursor.execute("UPDATE audit_auditevent SET reason = 'nothing' WHERE id = 3")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = 4")

    # when
    result = run_verify()

    # then: the first bad row is named, and the trigger is back on
    assert result.exit_code == 1
    assert result.stderr.startswith("audit chain BROKEN at row 3: row 3 was altered")
    assert _trigger_state() == "O"


@pytest.mark.parametrize(
    "table", ["audit_auditevent", "audit_chainhead", "audit_auditeventpatient"]
)
def test_truncate_is_refused(chain, table):
    # given: TRUNCATE fires no row-level trigger, so a statement-level one guards it
    record_event(action=Action.READ, username="nurse1", patient_ids=["p-1", "p-2"])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    # when
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")

    # then
    assert f"{table} is append-only: TRUNCATE refused" in str(exc.value)
    assert exc.value.__cause__.sqlstate == "42501"  # insufficient_privilege
    assert AuditEvent.objects.count() == 6
    assert AuditEventPatient.objects.count() == 2
    assert run_verify().stdout.startswith("audit chain intact: 6 events")


def test_appending_is_still_allowed(chain):
    # when
    event = record_event(action=Action.READ, username="nurse1")

    # then
    assert event.id == 6
    assert AuditEvent.objects.count() == 6
    assert run_verify().exit_code == 0
