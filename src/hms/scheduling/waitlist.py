"""The waitlist: patients who want an earlier slot with a practitioner or of a
specialty. A freed slot is offered to the first patient waiting for it; the patient
(through the clinic, or later the portal) accepts it, which books it, or lets it pass,
and it goes to the next. The slot is not held while offered: a clerk may still book it,
and an acceptance that comes too late gets the usual SlotTaken with the next free slots.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import author
from hms.core.text import reason_text
from hms.patients.models import Patient, TimelineEntry
from hms.patients.policies import check_patient_permission
from hms.patients.services import add_timeline_entry
from hms.scheduling import reminders, services, times
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import Appointment, AppointmentKind, Slot, WaitlistEntry
from hms.staff.models import Practitioner, Specialty

Status = WaitlistEntry.Status

# How long a patient has to take an offered slot, and how close to its start a freed
# slot is still worth offering.
OFFER_HOLD = dt.timedelta(hours=2)
OFFER_LEAD = dt.timedelta(minutes=30)


def add_to_waitlist(
    *,
    actor: Any,
    patient: Patient,
    practitioner: Practitioner | None = None,
    specialty: Specialty | None = None,
    kind: str = "",
    earliest: dt.date | None = None,
    latest: dt.date | None = None,
    note: str = "",
) -> WaitlistEntry:
    """Put `patient` on the waitlist for `practitioner` or a `specialty` (one of them
    required), between two days if given. Requires BOOK_APPOINTMENT. Conflict when the
    patient already waits for the same; InvalidInput naming the field otherwise."""
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, patient)
    note = reason_text(note, "note")
    if practitioner is None and specialty is None:
        raise InvalidInput("Say which practitioner or specialty.", field="practitioner")
    if practitioner is not None and practitioner.facility_id != patient.facility_id:
        raise InvalidInput("That practitioner works at another facility.", field="practitioner")
    if kind and kind not in AppointmentKind.values:
        raise InvalidInput(f"Unknown appointment type {kind!r}.", field="kind")
    today = timezone.localdate(timezone=times.zone_of(patient.facility))
    if latest is not None and latest < today:
        raise InvalidInput("The last day the patient can come has passed.", field="latest")
    if earliest is not None and latest is not None and latest < earliest:
        raise InvalidInput("The last day is before the first.", field="latest")
    if not patient.is_active or patient.is_deceased:
        raise InvalidInput("This patient cannot be booked.", field="patient")
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        waiting = WaitlistEntry.objects.filter(
            patient=patient,
            practitioner=practitioner,
            specialty=specialty,
            status__in=[Status.WAITING, Status.OFFERED],
        )
        if waiting.exists():
            raise Conflict("The patient is already on this waitlist.", field="patient")
        entry = WaitlistEntry.objects.create(
            facility=patient.facility,
            patient=patient,
            practitioner=practitioner,
            specialty=specialty,
            kind=kind,
            earliest=earliest,
            latest=latest,
            note=note,
            created_by=author(actor),
            updated_by=author(actor),
        )
        record_event(
            action=Action.CREATE, actor=actor, obj=entry, patient_id=str(patient.external_id)
        )
    return entry


def remove_from_waitlist(*, actor: Any, entry: WaitlistEntry, reason: str) -> WaitlistEntry:
    """Take the patient off the waitlist (found another slot, no longer needed)."""
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, entry.patient)
    reason = reason_text(reason, "reason", required=True)
    with transaction.atomic():
        locked = _lock(entry, Status.WAITING, Status.OFFERED)
        locked.status = Status.REMOVED
        locked.updated_by = author(actor)
        locked.save(update_fields=["status", "updated_by", "updated_at"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(entry.patient.external_id),
            reason=f"Removed from waitlist: {reason}"[:500],
        )
    return locked


def offer_freed_slot(slot_id: int, *, actor: Any = None) -> WaitlistEntry | None:
    """Offer `slot`, just freed, to the first patient waiting for it, if any: their
    practitioner or specialty, their days. Runs inside the
    transaction that freed it; the offer is a message to the patient and a line on
    their timeline. Returns the entry offered, or None."""
    now = timezone.now()
    slot = Slot.objects.select_related("schedule__facility", "practitioner", "room").get(pk=slot_id)
    if slot.is_emergency or slot.starts_at < now + OFFER_LEAD or not slot.is_free:
        return None
    day = timezone.localtime(slot.starts_at, times.zone_of(slot.schedule.facility)).date()
    specialties = slot.practitioner.specialties.values_list("pk", flat=True)
    candidates = (
        WaitlistEntry.objects.filter(facility_id=slot.schedule.facility_id, status=Status.WAITING)
        .filter(Q(practitioner_id=slot.practitioner_id) | Q(specialty_id__in=list(specialties)))
        .filter(Q(earliest__isnull=True) | Q(earliest__lte=day))
        .filter(Q(latest__isnull=True) | Q(latest__gte=day))
        .exclude(patient_id__in=_booked_in(slot))
        .select_related("patient", "patient__facility")
        .order_by("created_at", "id")
    )
    for entry in candidates[:20]:
        if slot.pk in entry.passed_slots:
            continue
        claimed = WaitlistEntry.objects.filter(pk=entry.pk, status=Status.WAITING).update(
            status=Status.OFFERED,
            offered_slot=slot,
            offer_expires_at=min(now + OFFER_HOLD, slot.starts_at - OFFER_LEAD),
            updated_at=now,
        )
        if not claimed:
            continue
        entry.refresh_from_db()
        _notify(entry, slot, actor)
        return entry
    return None


def _booked_in(slot: Slot) -> list[int]:
    live = Appointment.objects.filter(slot=slot, status__in=Appointment.LIVE)
    return list(live.values_list("patient_id", flat=True))


def _notify(entry: WaitlistEntry, slot: Slot, actor: Any) -> None:
    reference = f"waitlist:{entry.external_id}:{slot.pk}"
    reminders.offer_slot(patient=entry.patient, slot=slot, reference=reference)
    local = timezone.localtime(slot.starts_at, times.zone_of(entry.facility))
    add_timeline_entry(
        patient=entry.patient,
        kind=TimelineEntry.Kind.APPOINTMENT,
        summary=f"Offered a freed slot: {local:%a %d %b %Y %H:%M} with {slot.practitioner}",
        actor=actor,
        detail={"waitlist": str(entry.external_id), "slot": slot.pk},
        source=reference,
    )


def accept_offer(*, actor: Any, entry: WaitlistEntry) -> Appointment:
    """The patient takes the slot offered: book it. A slot booked by someone else
    meanwhile answers SlotTaken and the patient goes back to waiting."""
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, entry.patient)
    with transaction.atomic():
        locked = _lock(entry, Status.OFFERED)
        if locked.offer_expires_at and locked.offer_expires_at < timezone.now():
            raise Conflict("The offer has lapsed.", code="OFFER_LAPSED", field="entry")
        slot = Slot.objects.select_related("schedule", "practitioner", "room").get(
            pk=locked.offered_slot_id
        )
        try:
            with transaction.atomic():
                appointment = services.book_appointment(
                    actor=actor, patient=entry.patient, slot=slot, kind=locked.kind or None
                )
        except SlotTaken as exc:
            # The patient goes back to waiting, kept when the answer is raised below.
            _pass(locked, actor)
            lost = exc
        else:
            locked.status = Status.BOOKED
            locked.appointment = appointment
            locked.updated_by = author(actor)
            locked.save(update_fields=["status", "appointment", "updated_by", "updated_at"])
            return appointment
    raise lost


def decline_offer(*, actor: Any, entry: WaitlistEntry) -> WaitlistEntry | None:
    """The patient lets the offered slot pass: they keep their place for the next one,
    and the slot goes to the next patient waiting. Returns that patient's entry."""
    check_patient_permission(actor, Perm.BOOK_APPOINTMENT, entry.patient)
    with transaction.atomic():
        locked = _lock(entry, Status.OFFERED)
        slot_id = locked.offered_slot_id
        _pass(locked, actor)
        return offer_freed_slot(slot_id, actor=actor)


def lapse_offers(*, now: dt.datetime | None = None) -> int:
    """Offers not taken in time go to the next patient waiting. Run periodically;
    safe from several workers (each offer is claimed by a conditional update)."""
    now = now or timezone.now()
    lapsed = 0
    due = WaitlistEntry.objects.filter(status=Status.OFFERED, offer_expires_at__lt=now)
    for entry in due.select_related("offered_slot"):
        with transaction.atomic():
            if not WaitlistEntry.objects.filter(pk=entry.pk, status=Status.OFFERED).update(
                status=Status.WAITING, updated_at=now
            ):
                continue
            entry.passed_slots = [*entry.passed_slots, entry.offered_slot_id]
            entry.offered_slot = None
            entry.offer_expires_at = None
            entry.save(update_fields=["passed_slots", "offered_slot", "offer_expires_at"])
            offer_freed_slot(entry.passed_slots[-1])
            lapsed += 1
    return lapsed


def _pass(entry: WaitlistEntry, actor: Any) -> None:
    entry.status = Status.WAITING
    entry.passed_slots = [*entry.passed_slots, entry.offered_slot_id]
    entry.offered_slot = None
    entry.offer_expires_at = None
    entry.updated_by = author(actor)
    entry.save(
        update_fields=[
            "status",
            "passed_slots",
            "offered_slot",
            "offer_expires_at",
            "updated_by",
            "updated_at",
        ]
    )


def _lock(entry: WaitlistEntry, *statuses: str) -> WaitlistEntry:
    locked = WaitlistEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if locked.status not in statuses:
        raise Conflict(
            f"That waitlist entry is {locked.get_status_display().lower()}.",
            code="WAITLIST_STATE",
            field="entry",
        )
    return locked
