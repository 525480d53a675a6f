"""Guard: every foreign key to Patient is either moved by a merge or stays on purpose.

When a module adds a model that refers to a patient (a visit, an appointment, an
invoice), this test fails until its author says what a merge does with those rows:
nothing to do if they should follow the person to the surviving record (add the label
to MOVED below), or list it in hms.patients.references.STAYS if the rows are the merged
record's own history.
"""

from __future__ import annotations

from django.db import models

from hms.patients.models import Patient
from hms.patients.references import (
    STAYS,
    movable_references,
    patient_references,
    reference_label,
)

# References a merge moves to the survivor, as "app_label.Model.field".
MOVED: frozenset[str] = frozenset(
    {
        "scheduling.Appointment.patient",
        "encounters.Encounter.patient",
        "scheduling.WaitlistEntry.patient",
        "billing.Charge.patient",
        "billing.Invoice.patient",
        # Payments (and the deposits left on them) and refunds follow the person.
        "billing.Payment.patient",
        "billing.Refund.patient",
        # So do insurance coverages: the card is the person's.
        "billing.Coverage.patient",
        # Pending reminders follow the appointments they are about.
        "patients.OutboundMessage.patient",
    }
)


def test_every_reference_to_a_patient_is_either_moved_or_stays():
    found = {reference_label(fk) for fk in patient_references()}

    assert found - STAYS - MOVED == set(), (
        "new foreign keys to Patient: add each to MOVED here (a merge moves its rows to "
        "the surviving record) or to STAYS in hms/patients/references.py (its rows stay "
        "with the merged record as history)"
    )
    assert (STAYS | MOVED) - found == set(), "these listed references no longer exist"
    assert not STAYS & MOVED


def test_movable_references_are_the_moved_ones():
    assert {reference_label(fk) for fk in movable_references()} == MOVED


def test_hidden_foreign_keys_are_found_too():
    # related_name="+" hides a relation from Patient._meta.related_objects
    hidden = {r.field for r in Patient._meta.get_fields(include_hidden=True) if r.hidden}

    assert hidden
    assert hidden <= set(patient_references())


def test_moved_references_can_be_moved_row_by_row():
    # A merge updates the foreign key column; a key that is the row's own primary key
    # (a one-to-one used as primary key) could not be moved without rewriting the row.
    for fk in movable_references():
        assert isinstance(fk, models.ForeignKey)
        assert not fk.primary_key, reference_label(fk)
