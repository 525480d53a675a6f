"""CSV export of the audit trail: itself audited, filtered, streamed, and injection-safe."""

import csv
import io

import pytest

from hms.audit.models import AuditEvent
from hms.audit.services import Action, record_event
from hms.audit.web.views import EXPORT_FIELDS


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
def test_export_streams_the_filtered_rows_as_csv(trail, client_for):
    # given
    auditor = client_for("auditor")

    # when
    response = auditor.get("/audit/export.csv", {"patient_id": "MRN-1"})

    # then
    assert response.status_code == 200
    assert response.streaming is True
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    header, *rows = _csv_rows(response)
    assert header == EXPORT_FIELDS
    assert [row[0] for row in rows] == [str(trail["mar1"].id), str(trail["feb27"].id)]
    first = dict(zip(header, rows[0], strict=True))
    assert first["at"] == "2025-03-01T12:00:00+00:00"
    assert first["username"] == "dr_zoe"
    assert first["outcome"] == "denied"
    assert first["hash"] == trail["mar1"].hash


@pytest.mark.django_db
def test_export_is_itself_audited(trail, client_for):
    # given
    auditor = client_for("auditor", username="auditor_ann")

    # when
    response = auditor.get("/audit/export.csv", {"patient_id": "MRN-1", "outcome": "denied"})
    _csv_rows(response)

    # then
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert export.username == "auditor_ann"
    assert export.object_type == "audit.AuditEvent"
    assert export.outcome == "success"
    assert export.reason == "CSV export, filters: patient_id=MRN-1&outcome=denied"
    assert (export.channel, export.facility_code, export.roles) == ("web", "RGH", "auditor")


@pytest.mark.django_db
def test_cells_that_a_spreadsheet_would_evaluate_are_quoted(client_for):
    # given
    auditor = client_for("auditor")
    record_event(
        action=Action.READ,
        username="=cmd|' /C calc'!A0",
        object_id="-2+3",
        patient_id="@SUM(1+1)",
        reason='+HYPERLINK("http://evil.example")',
    )
    record_event(action=Action.READ, username="plain", reason="a = b, not a formula")

    # when
    response = auditor.get("/audit/export.csv", {"action": "read"})

    # then
    header, *rows = _csv_rows(response)
    by_reason = {row[header.index("reason")]: dict(zip(header, row, strict=True)) for row in rows}
    evil = by_reason['\'+HYPERLINK("http://evil.example")']
    assert evil["username"] == "'=cmd|' /C calc'!A0"
    assert evil["object_id"] == "'-2+3"
    assert evil["patient_id"] == "'@SUM(1+1)"
    plain = by_reason["a = b, not a formula"]
    assert plain["username"] == "plain"


@pytest.mark.django_db
def test_export_with_bad_filters_gets_400_and_exports_nothing(client_for):
    # given
    auditor = client_for("auditor", username="auditor_ann")

    # when
    response = auditor.get("/audit/export.csv", {"date_from": "not-a-date"})

    # then: the refusal is on the trail, an export is not
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action=Action.EXPORT).exists() is False
    refusal = AuditEvent.objects.order_by("-id").first()
    assert (refusal.username, refusal.outcome) == ("auditor_ann", "failure")
    assert refusal.object_type == "web:/audit/export.csv"
