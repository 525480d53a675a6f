"""Every write to visits: one function per step, each in a transaction and audited. The
front desk and the clinic queue (hms.scheduling) call these; a visit only moves forward."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core import events
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Department, author
from hms.encounters import selectors
from hms.encounters.errors import OpenVisit
from hms.encounters.models import Encounter
from hms.patients.models import Patient, TimelineEntry
from hms.patients.policies import check_patient_permission
from hms.patients.services import add_timeline_entry
from hms.staff.models import Practitioner

Status = Encounter.Status

# Where a visit may go from each status.
_NEXT = {
    Status.ARRIVED: {Status.TRIAGED, Status.IN_CONSULTATION, Status.LEFT},
    Status.TRIAGED: {Status.IN_CONSULTATION, Status.LEFT},
    Status.IN_CONSULTATION: {Status.FINISHED},
}
_STAMP = {
    Status.TRIAGED: "triaged_at",
    Status.IN_CONSULTATION: "consultation_started_at",
    Status.FINISHED: "ended_at",
    Status.LEFT: "ended_at",
}


def start_visit(
    *,
    actor: Any,
    patient: Patient,
    department: Department,
    practitioner: Practitioner | None = None,
    encounter_class: str = Encounter.Class.AMBULATORY,
) -> Encounter:
    """Open an outpatient visit for a patient who has arrived. Requires CHECK_IN; runs
    inside the caller's transaction if any (the front desk's check-in). Publishes
    `visit.started` (billing charges the consultation after commit).

    OpenVisit (409) when the patient already has a visit open today: one person is never
    twice in the queue. The patient's row is locked meanwhile, so two desks checking the
    same patient in at once make one visit."""
    check_patient_permission(actor, Perm.CHECK_IN, patient)
    if not patient.is_active or patient.is_deceased:
        raise InvalidInput(
            "This record cannot start a visit (merged, entered in error or deceased).",
            field="patient",
        )
    if department.facility_id != patient.facility_id:
        raise InvalidInput("That department belongs to another facility.", field="department")
    if encounter_class not in Encounter.Class.values:
        raise InvalidInput(f"Unknown kind of visit {encounter_class!r}.", field="encounter_class")
    user = author(actor)
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk").get()
        already = selectors.open_visit_today(patient)
        if already is not None:
            raise OpenVisit(already)
        encounter = Encounter.objects.create(
            facility_id=patient.facility_id,
            patient=patient,
            department=department,
            practitioner=practitioner,
            encounter_class=encounter_class,
            arrived_at=timezone.now(),
            created_by=user,
            updated_by=user,
        )
        add_timeline_entry(
            patient=patient,
            kind=TimelineEntry.Kind.VISIT,
            summary=f"Arrived for a visit to {department.name}",
            actor=actor,
            detail={"encounter": str(encounter.external_id)},
            source=f"encounter:{encounter.external_id}:arrived",
        )
        events.publish("visit.started", **_visit_payload(encounter))
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=encounter,
            patient_id=str(patient.external_id),
        )
    return encounter


def move_visit(*, actor: Any, encounter: Encounter, to: str) -> Encounter:
    """Move a visit one step on (triaged, in consultation, finished, or left without
    being seen), stamping the time of the step. Requires RUN_CLINIC (CHECK_IN is enough
    to record that a patient left). Conflict for a step it cannot take from where it
    is: a finished visit does not start again. Publishes `visit.finished` when the
    visit ends seen."""
    front_desk = to == Status.LEFT and policies.has_permission(
        actor, Perm.CHECK_IN, encounter.facility
    )
    if not front_desk:
        check_patient_permission(actor, Perm.RUN_CLINIC, encounter.patient)
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if to not in _NEXT.get(locked.status, ()):
            raise Conflict(
                f"A visit that is {locked.get_status_display().lower()} cannot become "
                f"{Status(to).label.lower() if to in Status.values else to!r}.",
                code="INVALID_VISIT_STEP",
                field="status",
            )
        locked.status = to
        setattr(locked, _STAMP[to], timezone.now())
        locked.updated_by = author(actor)
        locked.save(update_fields=["status", _STAMP[to], "updated_by", "updated_at"])
        if to in (Status.FINISHED, Status.LEFT):
            add_timeline_entry(
                patient=locked.patient,
                kind=TimelineEntry.Kind.VISIT,
                summary=f"Visit {locked.get_status_display().lower()}",
                actor=actor,
                detail={"encounter": str(locked.external_id)},
                source=f"encounter:{locked.external_id}:{to}",
            )
        if to == Status.FINISHED:
            events.publish("visit.finished", **_visit_payload(locked))
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Visit {to}",
        )
    return locked


def _visit_payload(encounter: Encounter) -> dict[str, str]:
    """What subscribers of the visit events get: public ids, as JSON. Subscribers read
    the rest themselves, so publishing stays one insert."""
    return {
        "encounter": str(encounter.external_id),
        "patient": str(encounter.patient.external_id),
    }
