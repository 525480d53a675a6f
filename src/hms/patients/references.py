"""Which rows refer to a patient record, and which of them a merge moves.

Found from the foreign keys to Patient of every installed model, so a module that adds
one (visits, appointments, invoices) is covered without telling the merge. A reference
that must stay with the merged record is listed in STAYS; a guard test fails when a new
foreign key to Patient appears, so its author decides which it is.
"""

from __future__ import annotations

from django.db import models

from hms.patients.models import Patient

# References that stay with the merged record: its identifiers, contacts, name keys and
# timeline are its history (the survivor's timeline shows them through merged_into);
# worklist rows and merges are about the record itself; records merged into it earlier
# keep pointing at it, so each merge can be undone on its own. A photo stays too: the
# survivor may have its own, and one record holds at most one.
STAYS = frozenset(
    {
        "patients.Patient.merged_into",
        "patients.PatientIdentifier.patient",
        "patients.PatientContact.patient",
        "patients.PatientNameKey.patient",
        "patients.PatientPhoto.patient",
        "patients.TimelineEntry.patient",
        "patients.DuplicateCandidate.patient",
        "patients.DuplicateCandidate.other",
        "patients.PatientMerge.survivor",
        "patients.PatientMerge.merged",
    }
)


def reference_label(fk: models.ForeignKey) -> str:
    return f"{fk.model._meta.label}.{fk.name}"


def patient_references() -> list[models.ForeignKey]:
    """Every foreign key (or one-to-one) of any installed model that points at Patient.

    Hidden relations count too: a foreign key declared with related_name="+" is left
    out of Patient._meta.related_objects but still holds a patient's rows. A
    many-to-many to Patient shows up through its join table's foreign key.
    """
    relations = Patient._meta.get_fields(include_hidden=True)
    return sorted(
        (r.field for r in relations if isinstance(r, models.ManyToOneRel)), key=reference_label
    )


def movable_references() -> list[models.ForeignKey]:
    """The foreign keys a merge moves from the merged record to the survivor."""
    return [fk for fk in patient_references() if reference_label(fk) not in STAYS]
