"""The outpatient queue: check-in and walk-ins take a numbered ticket and open the visit;
the doctor calls the next patient; the visit ends seen or left. Every step is a
service: one transaction, audited, times kept for the waiting-time figures."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Department, Facility
from hms.core.sequences import next_number
from hms.encounters import selectors as visit_selectors
from hms.encounters import services as visits
from hms.encounters.models import Encounter
from hms.patients.inputs import PatientInput
from hms.patients.models import Patient
from hms.patients.policies import check_patient_permission
from hms.patients.walk_in import register_walk_in
from hms.scheduling.models import Appointment, QueueTicket
from hms.scheduling.times import zone_of
from hms.staff.models import Practitioner

Priority = QueueTicket.Priority


def check_in(
    *,
    actor: Any,
    appointment: Appointment,
    priority: int = Priority.NORMAL,
    attach_to_open_visit: bool = False,
) -> QueueTicket:
    """The patient has arrived for today's appointment: mark it checked in, open the
    visit and give a ticket in the practitioner's department queue.

    Requires CHECK_IN. Conflict (CANNOT_CHECK_IN) for an appointment that is not booked
    or not today; InvalidInput when the practitioner has no department to queue in.
    OpenVisit (409, naming the visit) when the patient already has a visit open today,
    say a walk-in earlier: with `attach_to_open_visit` the appointment joins that visit
    and its ticket instead, and no second ticket is issued.
    """
    check_patient_permission(actor, Perm.CHECK_IN, appointment.patient)
    today = timezone.localdate(timezone=zone_of(appointment.facility))
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Appointment.Status.BOOKED:
            raise Conflict(
                f"An appointment that is {locked.get_status_display().lower()} cannot be "
                "checked in.",
                code="CANNOT_CHECK_IN",
                field="appointment",
            )
        local_day = timezone.localtime(locked.starts_at, zone_of(locked.facility)).date()
        if local_day != today:
            raise Conflict(
                f"That appointment is on {local_day:%d %b %Y}, not today.",
                code="CANNOT_CHECK_IN",
                field="appointment",
            )
        practitioner = Practitioner.objects.select_related("department").get(
            pk=locked.practitioner_id
        )
        if practitioner.department is None:
            raise InvalidInput(
                "The practitioner belongs to no department, so there is no queue to join.",
                field="appointment",
            )
        if attach_to_open_visit:
            open_visit = visit_selectors.open_visit_today(locked.patient, for_update=True)
            if open_visit is not None:
                return _attach(actor, locked, open_visit, practitioner, priority)
        encounter = visits.start_visit(
            actor=actor,
            patient=appointment.patient,
            department=practitioner.department,
            practitioner=practitioner,
        )
        locked.status = Appointment.Status.ARRIVED
        locked.checked_in_at = encounter.arrived_at
        locked.save(update_fields=["status", "checked_in_at", "updated_at"])
        return _issue(actor, encounter, priority, practitioner, locked)


def _attach(actor, appointment, encounter, practitioner, priority) -> QueueTicket:
    """The appointment joins the visit already open: checked in at the visit's arrival,
    carried by the visit's ticket (which now waits for the booked doctor, if it waited
    for anyone)."""
    ticket = QueueTicket.objects.select_for_update().filter(encounter=encounter).first()
    if ticket is None:
        ticket = _issue(actor, encounter, priority, practitioner, appointment)
    elif ticket.appointment_id is not None:
        raise Conflict(
            _("The open visit already carries another appointment."),
            code="CANNOT_CHECK_IN",
            field="appointment",
        )
    else:
        ticket.appointment = appointment
        ticket.practitioner = ticket.practitioner or practitioner
        ticket.save(update_fields=["appointment", "practitioner"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=ticket,
            patient_id=str(encounter.patient.external_id),
            reason=f"Appointment {appointment.external_id} attached to the open visit",
        )
    appointment.status = Appointment.Status.ARRIVED
    appointment.checked_in_at = encounter.arrived_at
    appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
    return ticket


def walk_in(
    *,
    actor: Any,
    patient: Patient,
    department: Department,
    practitioner: Practitioner | None = None,
    priority: int = Priority.NORMAL,
) -> QueueTicket:
    """A patient without an appointment joins the department's queue (for one doctor,
    or for whoever calls next). Requires CHECK_IN."""
    check_patient_permission(actor, Perm.CHECK_IN, patient)
    if practitioner is not None and practitioner.facility_id != patient.facility_id:
        raise InvalidInput("That practitioner works at another facility.", field="practitioner")
    with transaction.atomic():
        encounter = visits.start_visit(
            actor=actor, patient=patient, department=department, practitioner=practitioner
        )
        return _issue(actor, encounter, priority, practitioner, None)


def register_and_check_in(
    *,
    actor: Any,
    facility: Facility,
    data: PatientInput,
    department: Department | None,
    no_phone_reason: str = "",
    duplicate_override_reason: str = "",
    priority: int = Priority.NORMAL,
) -> QueueTicket:
    """A new walk-in registered (`patients.walk_in.register_walk_in`) and put in the
    department's queue in one step and one transaction: either both happen or neither.
    Requires REGISTER_PATIENT and CHECK_IN."""
    if department is None:
        raise InvalidInput(_("There is no department to queue in."), field="department")
    with transaction.atomic():
        patient = register_walk_in(
            actor=actor,
            facility=facility,
            data=data,
            no_phone_reason=no_phone_reason,
            duplicate_override_reason=duplicate_override_reason,
        )
        return walk_in(actor=actor, patient=patient, department=department, priority=priority)


def _issue(actor, encounter: Encounter, priority, practitioner, appointment) -> QueueTicket:
    if priority not in Priority.values:
        raise InvalidInput("Unknown priority.", field="priority")
    zone = zone_of(encounter.facility)
    day = timezone.localdate(encounter.arrived_at, timezone=zone)
    department = encounter.department
    ticket = QueueTicket.objects.create(
        facility_id=encounter.facility_id,
        department=department,
        day=day,
        number=next_number(f"queue:{department.pk}:{day.isoformat()}"),
        encounter=encounter,
        appointment=appointment,
        practitioner=practitioner,
        priority=priority,
        issued_at=encounter.arrived_at,
    )
    record_event(
        action=Action.CREATE,
        actor=actor,
        obj=ticket,
        patient_id=str(encounter.patient.external_id),
    )
    return ticket


def call_next(
    *, actor: Any, practitioner: Practitioner, department: Department, called_to: str = ""
) -> QueueTicket | None:
    """Call the next patient waiting for `practitioner` (or for anyone) in `department`:
    highest priority first, then the earliest ticket. The visit goes into consultation.
    None when nobody waits. Two doctors calling at once never get the same patient:
    on PostgreSQL a ticket another call holds is skipped; SQLite runs one writer."""
    with transaction.atomic():
        waiting = QueueTicket.objects.filter(
            Q(practitioner=practitioner) | Q(practitioner__isnull=True),
            department=department,
            day=timezone.localdate(timezone=zone_of(department.facility)),
            status=QueueTicket.Status.WAITING,
        ).order_by("-priority", "issued_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        ticket = waiting.select_related("encounter__patient", "encounter__facility").first()
        if ticket is None:
            return None
        ticket.encounter = visits.move_visit(
            actor=actor, encounter=ticket.encounter, to=Encounter.Status.IN_CONSULTATION
        )
        ticket.status = QueueTicket.Status.CALLED
        ticket.called_at = timezone.now()
        ticket.called_to = called_to[:120]
        ticket.called_by = practitioner
        ticket.save(update_fields=["status", "called_at", "called_to", "called_by"])
        return ticket


def finish(*, actor: Any, ticket: QueueTicket, left: bool = False) -> QueueTicket:
    """End the visit behind `ticket`: seen (the appointment is fulfilled) or, with
    `left`, left without being seen."""
    with transaction.atomic():
        to = Encounter.Status.LEFT if left else Encounter.Status.FINISHED
        ticket.encounter = visits.move_visit(actor=actor, encounter=ticket.encounter, to=to)
        ticket.status = QueueTicket.Status.LEFT if left else QueueTicket.Status.DONE
        ticket.save(update_fields=["status"])
        if ticket.appointment_id and not left:
            # One who left unseen did come: the appointment stays "checked in".
            Appointment.objects.filter(pk=ticket.appointment_id).update(
                status=Appointment.Status.FULFILLED, updated_at=timezone.now()
            )
        return ticket
