"""`hms audit anchor` writes the last sealed row outside the database, and `hms audit
verify` holds the chain against those anchors: a tail rewritten with every hash
recomputed, or an emptied trail, passes the chain's own checks but not the anchors'."""

import io
import socket

import pytest
from django.core.management import call_command

from hms.audit.anchors import read_anchors
from hms.audit.models import AuditEvent
from hms.audit.selectors import verify_chain
from hms.audit.services import Action, record_event
from hms.audit.tasks import anchor_audit_chain
from hms.audit.tests.helpers import raw_sql, run_verify
from hms.core.worker import periodic_tasks

pytestmark = pytest.mark.django_db


def run_anchor() -> str:
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    return out.getvalue()


def _rewrite_tail_from(row_id: int) -> None:
    """Rewrite rows from `row_id` on, recompute every hash after them and move the head,
    as someone able to switch the guards off could."""
    rows = list(AuditEvent.objects.order_by("id"))
    with raw_sql() as cursor:
        for prev, row in zip(rows, rows[1:], strict=False):
            if row.id >= row_id:
                row.reason = "nothing to see"
            row.prev_hash = prev.hash
            row.hash = row.compute_hash()
            cursor.execute(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row.reason, row.prev_hash, row.hash, row.id],
            )
        cursor.execute("UPDATE audit_chainhead SET last_hash = %s", [rows[-1].hash])


def test_anchor_appends_the_head_to_the_anchor_file(chain, anchor_file):
    # when
    first = run_anchor()
    record_event(action=Action.READ, username="nurse1")
    second = run_anchor()

    # then
    head = AuditEvent.objects.get(id=6)
    assert first == f"anchored row 5; hash {chain[-1].hash}\n"
    assert second == f"anchored row 6; hash {head.hash}\n"
    assert [(a.id, a.hash) for a in read_anchors(anchor_file)] == [
        (5, chain[-1].hash),
        (6, head.hash),
    ]
    assert anchor_file.read_text().startswith('hms-audit-anchor {"at": "')


def test_an_empty_trail_has_nothing_to_anchor(anchor_file):
    # when
    output = run_anchor()

    # then
    assert output == "audit trail empty: nothing to anchor\n"
    assert not anchor_file.exists()


def test_an_intact_chain_matches_its_anchors(chain):
    # given
    run_anchor()

    # when
    result = run_verify()

    # then
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"audit chain intact: 5 events; head {chain[-1].hash}"
    assert lines[1].startswith("matches its 1 anchors; the newest, row 5, at ")


def test_a_rewritten_tail_is_caught_by_the_anchor(chain):
    # given: anchored at row 5, then rows 4 and 5 rewritten and the head moved to match
    run_anchor()
    _rewrite_tail_from(4)

    # when
    result = run_verify()

    # then: the chain alone cannot tell (the control); the anchor can
    assert verify_chain().ok is True
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "audit chain BROKEN at row 5: row 5 or one before it was rewritten "
        "(its hash is not the one anchored at "
    )


def test_an_emptied_trail_is_caught_by_the_anchor(chain):
    # given: every event and the head removed with the guards off
    run_anchor()
    with raw_sql() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_chainhead")

    # when
    result = run_verify()

    # then
    assert verify_chain().ok is True
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "audit chain BROKEN at row 1: rows 1 to 5 are missing (row 5 was anchored at "
    )


def test_rows_appended_after_the_anchor_are_not_missing(chain):
    # given
    run_anchor()
    record_event(action=Action.READ, username="nurse1")

    # when
    result = run_verify()

    # then
    assert result.exit_code == 0
    assert result.stdout.startswith("audit chain intact: 6 events")


def test_anchors_go_to_a_syslog_server_and_verify_reads_its_log(chain, settings, tmp_path):
    # given: a syslog server listening on UDP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        settings.HMS_AUDIT_ANCHOR_SYSLOG = f"127.0.0.1:{server.getsockname()[1]}"

        # when
        run_anchor()
        received = server.recv(4096).decode()

    # then: the message carries the anchor, and a copy of the server's log verifies
    assert "hms-audit-anchor" in received
    assert chain[-1].hash in received
    log = tmp_path / "syslog"
    log.write_text(f"Dec  8 01:00:00 hms {received.rstrip(chr(0))}\n")
    assert [(a.id, a.hash) for a in read_anchors(log)] == [(5, chain[-1].hash)]
    _rewrite_tail_from(5)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--anchors", str(log), stdout=out, stderr=err)
    assert err.getvalue().startswith("audit chain BROKEN at row 5: row 5 or one before it")


def test_the_worker_anchors_the_chain_on_a_schedule(chain, anchor_file):
    # given
    scheduled = {p.path: p.every.total_seconds() for p in periodic_tasks()}

    # when
    anchored = anchor_audit_chain.call()

    # then
    assert scheduled["hms.audit.tasks.anchor_audit_chain"] == 300
    assert anchored == 5
    assert [a.id for a in read_anchors(anchor_file)] == [5]


def test_lines_that_are_not_anchors_are_skipped(chain, anchor_file):
    # given: a line cut short by a crash, then a good anchor
    anchor_file.write_text('hms-audit-anchor {"id": 9, "ha\n')
    run_anchor()

    # when
    result = run_verify()

    # then
    assert [a.id for a in read_anchors(anchor_file)] == [5]
    assert result.exit_code == 0
