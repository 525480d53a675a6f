"""Assertions shared by the patient API tests."""

from __future__ import annotations

from hms.audit.models import AuditEvent
from hms.audit.selectors import search_events
from hms.patients.models import Patient, PatientContact, PatientIdentifier, TimelineEntry


def refused_field(response) -> str:
    """The field a 400 names: `field` for a domain refusal, else the dotted path of the
    one error in `errors` ("address.city", "identifiers.value"; list positions and
    DRF's non_field_errors left out)."""
    body = response.json()
    assert body["code"], body
    assert body["detail"], body
    if "field" in body:
        return body["field"]
    path, errors = [], body["errors"]
    while isinstance(errors, dict):
        assert len(errors) == 1, errors
        key, errors = next(iter(errors.items()))
        if key != "non_field_errors" and not key.isdigit():
            path.append(key)
    return ".".join(path)


def registry_counts() -> dict[str, int]:
    """What a refused write must leave as it was."""
    return {
        "patients": Patient.objects.count(),
        "identifiers": PatientIdentifier.objects.count(),
        "contacts": PatientContact.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        # Successful writes only: a refused request leaves one FAILURE row, on purpose.
        "audit_writes": AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE],
            outcome=AuditEvent.Outcome.SUCCESS,
        ).count(),
    }


def reads_of(patient) -> int:
    return search_events(action=AuditEvent.Action.READ, patient_id=str(patient.external_id)).count()
