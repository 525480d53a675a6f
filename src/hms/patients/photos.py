"""A patient's photo: adding or replacing it, removing it, and showing it.

Front-desk and ward staff confirm who is in front of them by face before a wristband
is printed or a drug given. Each write is one transaction that locks the patient row
(so two uploads at once leave one photo, the last), puts an entry on the timeline and
an audit row; each time the picture is shown is an audited read of the record.
"""

from __future__ import annotations

from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import InvalidInput, NotFound
from hms.core.models import author
from hms.patients import images
from hms.patients.errors import PatientErrorCode
from hms.patients.models import Patient, PatientPhoto, TimelineEntry
from hms.patients.policies import check_patient_permission
from hms.patients.services import add_timeline_entry, record_patient_read

NO_PHOTO = "This patient has no photo."


def patient_photo(*, patient: Patient) -> PatientPhoto | None:
    """The photo's size and dates without its bytes (nothing decrypted), or None."""
    return PatientPhoto.objects.defer("image").filter(patient=patient).first()


def read_patient_photo(*, actor: Any, patient: Patient) -> PatientPhoto:
    """The photo with its JPEG bytes, for a viewer with VIEW_PATIENT in the patient's
    facility (NotFound elsewhere, or when there is none). Audits the read."""
    check_patient_permission(actor, Perm.VIEW_PATIENT, patient)
    photo = PatientPhoto.objects.filter(patient=patient).first()
    if photo is None:
        raise NotFound(NO_PHOTO)
    record_patient_read(actor=actor, patient=patient, what="photo")
    return photo


def upload_patient_photo(
    *, actor: Any, patient: Patient, upload: IO[bytes], skip_permission_checks: bool = False
) -> PatientPhoto:
    """Store `upload` (JPEG, PNG or WebP, at most 5 MB) as the patient's photo,
    replacing any earlier one.

    Requires EDIT_PATIENT; only active records take a photo (NOT_ACTIVE). The picture
    is re-encoded first (hms.patients.images), outside the transaction; anything that
    is not a usable picture raises InvalidInput naming the field "photo" and changes
    nothing. Locks the patient row, audits CREATE (or UPDATE when replacing) and adds
    "Photo added" (or "replaced") to the timeline.
    """
    if not skip_permission_checks:
        check_patient_permission(actor, Perm.EDIT_PATIENT, patient)
    if not patient.is_active:
        raise InvalidInput(
            "This record was merged or entered in error; add the photo to the surviving record.",
            code=PatientErrorCode.NOT_ACTIVE,
        )
    picture = images.normalise_photo(images.read_upload(upload))
    user = author(actor)
    with transaction.atomic():
        locked = _lock(patient, user)
        photo = patient_photo(patient=locked)
        replacing = photo is not None
        if photo is None:
            photo = PatientPhoto(patient=locked, created_by=user)
        photo.image, photo.size = picture.jpeg, len(picture.jpeg)
        photo.width, photo.height = picture.width, picture.height
        photo.updated_by = user
        photo.save()
        summary = "Photo replaced" if replacing else "Photo added"
        _write_history(actor, locked, photo, summary, Action.UPDATE if replacing else Action.CREATE)
    return photo


def remove_patient_photo(*, actor: Any, patient: Patient) -> None:
    """Delete the patient's photo. Requires EDIT_PATIENT; NotFound when there is none.

    The row is deleted, not marked: a photo identifies, it records no care, and a
    patient who withdraws it (or a picture of the wrong person) must leave no copy.
    The audit row (DELETE) and the timeline keep who removed it and when. Allowed on
    a merged record too, so a removal never waits for an unmerge.
    """
    check_patient_permission(actor, Perm.EDIT_PATIENT, patient)
    user = author(actor)
    with transaction.atomic():
        locked = _lock(patient, user)
        photo = patient_photo(patient=locked)
        if photo is None:
            raise NotFound(NO_PHOTO)
        photo.delete()
        _write_history(actor, locked, photo, "Photo removed", Action.DELETE)


def _lock(patient: Patient, user) -> Patient:
    """Lock the patient row and mark the record changed: the photo is part of what FHIR
    serves as the Patient, so its version and Last-Modified must move."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    locked.updated_at, locked.updated_by = timezone.now(), user
    Patient.objects.filter(pk=locked.pk).update(updated_at=locked.updated_at, updated_by=user)
    return locked


def _write_history(actor: Any, patient: Patient, photo: PatientPhoto, summary: str, action):
    add_timeline_entry(
        patient=patient,
        kind=TimelineEntry.Kind.UPDATED,
        summary=summary,
        actor=actor,
        detail={"fields": ["photo"]},
    )
    # Last in the transaction: it holds the audit chain's lock until commit.
    record_event(
        action=action,
        actor=actor,
        obj=photo,
        patient_id=str(patient.external_id),
        reason=summary,
    )


def photo_of(patient: Patient) -> PatientPhoto | None:
    """The photo's details, from what a lookup already joined when it did (see
    hms.patients.lookups), else read without the bytes."""
    if Patient.photo.related.is_cached(patient):
        return getattr(patient, "photo", None)
    return patient_photo(patient=patient)
