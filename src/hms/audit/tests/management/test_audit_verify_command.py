"""`hms audit verify` against a chain tampered with by raw SQL, as an attacker would."""

import pytest
from django.db import connection

from hms.audit.models import AuditEvent
from hms.audit.services import Action, record_event
from hms.audit.tests.helpers import raw_sql, run_verify


@pytest.mark.django_db
def test_intact_chain_exits_0_and_says_so(chain):
    # when
    result = run_verify()

    # then
    assert result.exit_code == 0
    assert result.stdout == f"audit chain intact: 5 events; head {chain[-1].hash}\n"
    assert result.stderr == ""


@pytest.mark.django_db
def test_empty_trail_is_intact():
    # when
    result = run_verify()

    # then
    assert result.exit_code == 0
    assert result.stdout.startswith("audit chain intact: 0 events; head 0000")


@pytest.mark.django_db
def test_updated_reason_is_named_as_the_altered_row(chain):
    # given
    with raw_sql() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["nothing", 3])

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "audit chain BROKEN at row 3: row 3 was altered (its content no longer matches its hash)\n"
    )


@pytest.mark.django_db
def test_deleted_middle_row_is_named_as_missing(chain):
    # given
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [3])

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == (
        "audit chain BROKEN at row 3: row 3 is missing (next row found is 4)\n"
    )


@pytest.mark.django_db
def test_deleted_last_rows_are_named_from_the_chain_head(chain):
    # given
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [4])

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == (
        "audit chain BROKEN at row 4: rows 4 to 5 are missing (the chain head names row 5)\n"
    )


@pytest.mark.django_db
def test_deleted_last_row_is_named(chain):
    # given
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [5])

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr.startswith("audit chain BROKEN at row 5: rows 5 to 5 are missing")


def _insert(cursor, row: AuditEvent) -> None:
    at = connection.ops.adapt_datetimefield_value(row.at)
    cursor.execute(
        "INSERT INTO audit_auditevent (id, at, username, roles, facility_code, action,"
        " object_type, object_id, patient_id, source_ip, user_agent, channel, outcome,"
        " reason, prev_hash, hash) VALUES (%s, %s, %s, '', '', %s, '', '', %s, '', '', 'web',"
        " 'success', %s, %s, %s)",
        [
            row.id,
            at,
            row.username,
            row.action,
            row.patient_id,
            row.reason,
            row.prev_hash,
            row.hash,
        ],
    )


@pytest.mark.django_db
def test_forged_row_with_a_made_up_hash_is_named(chain):
    # given
    forged = AuditEvent(
        id=6,
        at=chain[-1].at,
        username="nurse1",
        action=Action.READ,
        patient_id="MRN-0042",
        reason="routine",
        prev_hash=chain[-1].hash,
        hash="f" * 64,
    )
    with raw_sql() as cursor:
        _insert(cursor, forged)

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == (
        "audit chain BROKEN at row 6: row 6 was altered (its content no longer matches its hash)\n"
    )


@pytest.mark.django_db
def test_forged_row_with_a_correctly_computed_hash_is_named_as_outside_the_chain(chain):
    # given: the algorithm is public, so a forger can compute a valid-looking hash
    forged = AuditEvent(
        id=6,
        at=chain[-1].at,
        username="nurse1",
        action=Action.READ,
        channel="web",
        reason="routine",
        prev_hash=chain[-1].hash,
    )
    forged.hash = forged.compute_hash()
    with raw_sql() as cursor:
        _insert(cursor, forged)

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == (
        "audit chain BROKEN at row 6: rows 6 to 6 were added outside the chain "
        "(the chain head names row 5)\n"
    )


@pytest.mark.django_db
def test_deleted_row_replaced_by_a_forgery_is_named_at_the_next_row(chain):
    # given: row 3 swapped for one with the same id and a self-consistent hash
    forged = AuditEvent(
        id=3,
        at=chain[2].at,
        username="nurse1",
        action=Action.READ,
        channel="web",
        reason="nothing to see",
        prev_hash=chain[1].hash,
    )
    forged.hash = forged.compute_hash()
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [3])
        _insert(cursor, forged)

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == "audit chain BROKEN at row 4: row 4 does not follow row 3\n"


@pytest.mark.django_db
def test_updated_row_with_its_hash_recomputed_breaks_the_link_to_the_next_row(chain):
    # given
    row = AuditEvent.objects.get(id=2)
    row.reason = "rewritten"
    with raw_sql() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET reason = %s, hash = %s WHERE id = %s",
            [row.reason, row.compute_hash(), 2],
        )

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == "audit chain BROKEN at row 3: row 3 does not follow row 2\n"


@pytest.mark.django_db
def test_updated_last_row_with_its_hash_recomputed_is_named(chain):
    # given
    row = AuditEvent.objects.get(id=5)
    row.patient_id = "MRN-9999"
    with raw_sql() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET patient_id = %s, hash = %s WHERE id = %s",
            [row.patient_id, row.compute_hash(), 5],
        )

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr == (
        "audit chain BROKEN at row 5: row 5 was altered "
        "(its hash is not the one the chain head recorded)\n"
    )


@pytest.mark.django_db
def test_whole_chain_rewritten_from_the_altered_row_is_caught_by_the_chain_head(chain):
    # given: every hash from row 2 on recomputed, so each row follows the one before
    rows = list(AuditEvent.objects.order_by("id"))
    rows[1].reason = "rewritten"
    with raw_sql() as cursor:
        for prev, row in zip(rows, rows[1:], strict=False):
            row.prev_hash = prev.hash
            row.hash = row.compute_hash()
            cursor.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row.reason, row.prev_hash, row.hash, row.id],
            )

    # when
    result = run_verify()

    # then
    assert result.exit_code == 1
    assert result.stderr.startswith("audit chain BROKEN at row 5: row 5 was altered")


@pytest.mark.django_db
def test_appending_after_verification_keeps_the_chain_intact(chain):
    # given
    assert run_verify().exit_code == 0

    # when
    record_event(action=Action.READ, username="nurse1")

    # then
    result = run_verify()
    assert (result.exit_code, result.stdout.split(";")[0]) == (0, "audit chain intact: 6 events")
