"""Application logs carry no patient data: only the audit trail names who saw what."""

import logging

import pytest

from hms.audit.services import Action, record_event

SECRET = "PATIENT-SECRET-123"

LOGGERS = ["", "django", "django.request", "django.server", "django.security", "axes", "hms"]


@pytest.fixture
def all_logs(caplog):
    """Every record at DEBUG from the root logger and the loggers settings quieten."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _logged_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


@pytest.mark.django_db
def test_recording_an_event_logs_no_patient_id(all_logs):
    # when
    event = record_event(action=Action.READ, patient_id=SECRET, reason="chart opened at triage")

    # then
    assert event.patient_id == SECRET
    assert SECRET not in _logged_text(all_logs)


@pytest.mark.django_db
def test_searching_exporting_and_refusals_log_no_patient_id(all_logs, client_for, api_client_for):
    # given
    record_event(action=Action.READ, patient_id=SECRET, reason="chart opened at triage")
    auditor = client_for("auditor")
    auditor_api = api_client_for("auditor")
    clerk = client_for("receptionist")
    clerk_api = api_client_for("receptionist")
    all_logs.clear()

    # when
    responses = [
        auditor.get("/audit/", {"patient_id": SECRET}),
        auditor.get("/audit/", {"patient_id": SECRET, "date_from": "nope"}),
        auditor.get("/audit/export.csv", {"patient_id": SECRET}),
        auditor_api.get("/api/v1/audit-events/", {"patient_id": SECRET}),
        auditor_api.get("/api/v1/audit-events/", {"patient_id": SECRET, "action": "nope"}),
        clerk.get("/audit/", {"patient_id": SECRET}),
        clerk_api.get("/api/v1/audit-events/", {"patient_id": SECRET}),
    ]
    export_body = b"".join(responses[2].streaming_content)

    # then: the answers carry the id, the logs do not
    assert [r.status_code for r in responses] == [200, 400, 200, 200, 400, 403, 403]
    assert SECRET.encode() in export_body
    assert SECRET in responses[3].content.decode()
    assert all_logs.records, "expected the refused requests to be logged"
    assert SECRET not in _logged_text(all_logs)
