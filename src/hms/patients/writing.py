"""New patient records written as plain rows: one registration at the desk, or a batch
of an import.

The rows are converted (encrypted, blind-indexed) before the write transaction opens;
inside it only prepared inserts run. The transaction holds the facility's MRN sequence
lock (and on SQLite the one write lock), so every clerk registering at once waits for
as long as it lasts; and the ORM's save compiles its SQL anew on every call, which costs
more than the insert.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from hms.core.bulk import Table
from hms.patients import search
from hms.patients.models import (
    Patient,
    PatientContact,
    PatientIdentifier,
    PatientNameKey,
    TimelineEntry,
)

# id and mrn first: they are filled in inside the transaction.
PATIENT_COLUMNS = [
    "id",
    "mrn",
    *(f.attname for f in Patient._meta.concrete_fields if f.attname not in ("id", "mrn")),
]
PATIENTS = Table(Patient, PATIENT_COLUMNS)
_STAMPED = ["external_id", "created_at", "updated_at", "created_by_id", "updated_by_id"]
IDENTIFIERS = Table(
    PatientIdentifier,
    [
        "patient_id",
        *_STAMPED,
        "system",
        "value",
        "value_index",
        "assigner",
        "facility_id",
        "is_current",
    ],
)
CONTACTS = Table(
    PatientContact, ["patient_id", *_STAMPED, "name", "relationship", "phone", "is_emergency"]
)
NAME_KEYS = Table(PatientNameKey, ["key", "patient_id"])
TIMELINE = Table(
    TimelineEntry,
    ["patient_id", "kind", "occurred_at", "recorded_at", "actor_id", "summary", "detail", "source"],
)


@dataclass(frozen=True)
class ReadyRow:
    """A new patient converted to database values, outside the writing transaction."""

    number: int  # the source row of an import; 0 for a registration
    patient: tuple  # PATIENT_COLUMNS; id and mrn are placeholders
    identifiers: list[tuple]  # IDENTIFIERS columns; patient_id a placeholder
    contacts: list[tuple]
    name_keys: set[str]


def stamp(user_id: int | None, now: dt.datetime) -> tuple:
    """The BaseModel columns of a new child row."""
    return (uuid.uuid4(), now, now, user_id, user_id)


def ready(
    patient: Patient, identifiers: list[PatientIdentifier], contacts: list[PatientContact]
) -> ReadyRow:
    """The rows of a patient built in memory, with its identifiers and contacts."""
    return ReadyRow(
        number=0,
        patient=PATIENTS.convert([getattr(patient, name) for name in PATIENT_COLUMNS]),
        identifiers=[IDENTIFIERS.convert(_values(i, IDENTIFIERS)) for i in identifiers],
        contacts=[CONTACTS.convert(_values(c, CONTACTS)) for c in contacts],
        name_keys=search.name_keys(patient.search_name),
    )


def _values(obj, table: Table) -> list:
    return [getattr(obj, name) for name in table.columns]


def insert(rows: list[tuple[int, str, ReadyRow]]) -> None:
    """Write each (id, mrn, row): the patient, identifiers, contacts and name keys.
    Runs inside the caller's transaction, which took the ids and numbers."""
    PATIENTS.insert((pk, number, *r.patient[2:]) for pk, number, r in rows)
    IDENTIFIERS.insert((pk, *v[1:]) for pk, _, r in rows for v in r.identifiers)
    CONTACTS.insert((pk, *v[1:]) for pk, _, r in rows for v in r.contacts)
    NAME_KEYS.insert_in_order((key, pk) for pk, _, r in rows for key in r.name_keys)


def insert_registered(entries: Iterable[tuple[int, str, str]], *, at, user_id) -> None:
    """ "Registered" on each new patient's timeline: (patient id, summary, detail as the
    JSON text the field stores)."""
    shared = TIMELINE.convert((None, TimelineEntry.Kind.REGISTERED, at, at, user_id, "", {}, ""))
    TIMELINE.insert(
        (pk, *shared[1:5], summary[:300], detail, shared[7]) for pk, summary, detail in entries
    )
