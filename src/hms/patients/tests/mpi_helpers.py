"""Plain helpers for the master patient index's tests: register records directly."""

from __future__ import annotations

import datetime as dt
from itertools import count

from hms.audit.models import AuditEvent
from hms.patients import merging, services
from hms.patients.inputs import IdentifierInput, PatientInput
from hms.patients.models import (
    DuplicateCandidate,
    Patient,
    PatientContact,
    PatientMerge,
    TimelineEntry,
)

_phones = count(1)


def new_phone() -> str:
    return f"+2547{next(_phones) + 11_000_000:08d}"


def register(facility, **fields) -> Patient:
    """A registered record, no duplicate check, no permission check."""
    national_id = fields.pop("national_id", "")
    data = {
        "given_name": "Wanjiru",
        "family_name": "Kamau",
        "sex": "female",
        "birth_date": dt.date(1990, 4, 12),
        "phone": new_phone(),
        **fields,
    }
    if national_id:
        data["identifiers"] = (IdentifierInput(system="national_id", value=national_id),)
    return services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(**data),
        skip_permission_checks=True,
        check_duplicates=False,
    )


def add_contact(patient: Patient, name: str) -> PatientContact:
    return PatientContact.objects.create(patient=patient, name=name, relationship="sister")


def make_contacts_movable(monkeypatch) -> str:
    """Treat next-of-kin rows as rows a merge moves, to drive the generic mover with a
    real table (today every foreign key to Patient stays with its record)."""
    label = "patients.PatientContact.patient"
    contact_fk = PatientContact._meta.get_field("patient")
    real = merging.movable_references
    monkeypatch.setattr(merging, "movable_references", lambda: [*real(), contact_fk])
    monkeypatch.setattr(merging, "STAYS", merging.STAYS - {label})
    return label


def snapshot() -> tuple:
    """Everything a refused or failed merge, unmerge or dismissal must leave as it was."""
    return (
        list(Patient.objects.order_by("pk").values_list("pk", "status", "merged_into")),
        list(PatientContact.objects.order_by("pk").values_list("pk", "patient")),
        list(PatientMerge.objects.order_by("pk").values_list("pk", "undone_at")),
        TimelineEntry.objects.count(),
        list(DuplicateCandidate.objects.order_by("pk").values_list("pk", "status", "decided_by")),
        # Reads are not changes: a refused form shows the records again.
        AuditEvent.objects.filter(outcome=AuditEvent.Outcome.SUCCESS)
        .exclude(action=AuditEvent.Action.READ)
        .count(),
    )


def a_merge(facility) -> PatientMerge:
    """Two records of one person, merged: a merge record for pages to show. Written
    directly, as a merge the system did, so no officer is needed."""
    survivor, merged = register(facility), register(facility)
    Patient.objects.filter(pk=merged.pk).update(status=Patient.Status.MERGED, merged_into=survivor)
    return PatientMerge.objects.create(survivor=survivor, merged=merged, reason="Same person")
