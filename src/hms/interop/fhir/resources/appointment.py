"""Appointments as FHIR R4 Appointment: `to_fhir`, `from_fhir` (a booking request for
`scheduling.services.book_appointment`) and the search.

Choices worth knowing:
- Our statuses are FHIR's own codes (booked, arrived, fulfilled, cancelled, noshow).
- The participants are the patient, the practitioner (primary performer) and, when
  the slot has one, the room (a contained Location).
- The kind of visit is `appointmentType` (see `scheduling.kind_concept`), why the
  patient comes is `reasonCode` text, and a cancellation's reason
  `cancelationReason` text.
- A create books one free Slot for one Patient: `status` must be `booked`, and a
  Practitioner, `start` or `end` given must be the slot's. A reference this server
  cannot resolve in the viewer's facility (an unknown Slot or Patient, another
  facility's slot) is a 422 naming the element.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment as FhirAppointment

from hms.interop.fhir.resources import searching
from hms.interop.fhir.resources.practitioner import (
    reference,
    room_location,
    room_reference,
    specialty_concepts,
)
from hms.interop.fhir.resources.scheduling import kind_concept, kind_of
from hms.interop.fhir.validation import InvalidResource
from hms.scheduling import selectors
from hms.scheduling.models import Appointment

PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
SEARCH_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("practitioner", "reference"),
    ("date", "date"),
    ("status", "token"),
)


class Unprocessable(InvalidResource):
    """A well-formed Appointment this server cannot act on: a reference it cannot
    resolve, or a value the slot contradicts (https://hl7.org/fhir/R4/http.html#create:
    422 for a resource that breaks the server's business rules)."""

    status = 422
    code = "UNPROCESSABLE"


def to_fhir(appointment: Appointment, zone: zoneinfo.ZoneInfo) -> FhirAppointment:
    """The appointment as a validated R4 Appointment, its times in `zone` (the
    facility's); `appointments` loads what it reads."""
    room = appointment.room
    minutes = (appointment.ends_at - appointment.starts_at) // dt.timedelta(minutes=1)
    cancelled = appointment.status == Appointment.Status.CANCELLED
    return FhirAppointment(
        id=str(appointment.external_id),
        meta={"lastUpdated": appointment.updated_at},
        contained=[room_location(room)] if room is not None else None,
        status=appointment.status,
        cancelationReason=(
            {"text": appointment.cancel_reason} if cancelled and appointment.cancel_reason else None
        ),
        appointmentType=kind_concept(appointment.kind),
        specialty=specialty_concepts(appointment.practitioner),
        reasonCode=[{"text": appointment.reason}] if appointment.reason else None,
        start=timezone.localtime(appointment.starts_at, zone),
        end=timezone.localtime(appointment.ends_at, zone),
        minutesDuration=minutes or None,
        slot=[{"reference": f"Slot/{appointment.slot_id}"}],
        created=timezone.localtime(appointment.created_at, zone),
        participant=_participants(appointment),
    )


def _participants(appointment: Appointment) -> list[dict[str, Any]]:
    found = [
        {
            "actor": {"reference": f"Patient/{appointment.patient.external_id}"},
            "required": "required",
            "status": "accepted",
        },
        {
            "type": [
                {
                    "coding": [
                        {"system": PARTICIPATION, "code": "PPRF", "display": "primary performer"}
                    ]
                }
            ],
            "actor": reference(appointment.practitioner),
            "required": "required",
            "status": "accepted",
        },
    ]
    if appointment.room is not None:
        found.append(
            {
                "actor": room_reference(appointment.room),
                "required": "required",
                "status": "accepted",
            }
        )
    return found


# --- reading -----------------------------------------------------------------------------


def appointments(viewer: Any, facility) -> QuerySet[Appointment]:
    """The facility's appointments for a viewer who sees its schedules, as the REST
    API scopes them (`selectors.appointments`), with what the resource shows."""
    if facility is None or not selectors.can_view(viewer, facility):
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(facility=facility)
        .select_related("patient", "practitioner", "room")
        .prefetch_related("practitioner__specialties")
    )


def search(qs: QuerySet[Appointment], params, zone: zoneinfo.ZoneInfo) -> QuerySet[Appointment]:
    qs = searching.filter_groups(
        qs, params, "_id", lambda v: Q(external_id=searching.uuid_id(v, "Appointment", "_id"))
    )
    qs = searching.filter_groups(
        qs,
        params,
        "patient",
        lambda v: Q(patient__external_id=searching.uuid_id(v, "Patient", "patient")),
    )
    qs = searching.filter_groups(
        qs,
        params,
        "practitioner",
        lambda v: Q(practitioner__external_id=searching.uuid_id(v, "Practitioner", "practitioner")),
    )
    qs = searching.filter_groups(qs, params, "status", _status_condition)
    qs = searching.filter_dates(
        qs,
        params,
        "date",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "starts_at"),
    )
    return qs.order_by("starts_at", "pk")


def _status_condition(value: str) -> Q:
    system, code = searching.token(value)
    if system not in (None, "http://hl7.org/fhir/appointmentstatus"):
        raise searching.bad("status", "Use a code of http://hl7.org/fhir/appointmentstatus.")
    if code in Appointment.Status.values:
        return Q(status=code)
    if code in _OTHER_STATUSES:
        return Q(pk__in=[])  # valid FHIR codes no appointment here ever has
    raise searching.bad("status", f"Use one of {', '.join(Appointment.Status.values)}.")


_OTHER_STATUSES = ("proposed", "pending", "entered-in-error", "checked-in", "waitlist")


# --- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingRequest:
    """What a FHIR client asks to book, and where in its Appointment each part was."""

    patient: uuid.UUID
    patient_path: str
    slot: int
    practitioner: uuid.UUID | None
    practitioner_path: str
    kind: str | None
    reason: str
    reason_path: str
    start: dt.datetime | None
    end: dt.datetime | None

    def path_of(self, field: str | None) -> str:
        """The element a service's refusal of `field` is about."""
        return {
            "patient": self.patient_path,
            "slot": "Appointment.slot[0]",
            "kind": "Appointment.appointmentType",
            "reason": self.reason_path,
            "practitioner": self.practitioner_path,
        }.get(field or "", "Appointment")


def from_fhir(resource: FhirAppointment) -> BookingRequest:
    """The booking a validated Appointment asks for; InvalidResource naming the
    element for one this server cannot read as a booking."""
    if resource.status != "booked":
        raise Unprocessable(
            [("Appointment.status", "A create books a slot: the status must be 'booked'.")]
        )
    slots = resource.slot or []
    if len(slots) != 1:
        raise InvalidResource([("Appointment.slot", "Name the one Slot to book.")])
    slot = _slot_id(slots[0].reference)
    patients, practitioners = _actors(resource)
    if len(patients) != 1:
        raise InvalidResource(
            [("Appointment.participant", "Name one Patient as a participant's actor.")]
        )
    if len(practitioners) > 1:
        raise InvalidResource([(practitioners[1][0], "Name at most one Practitioner.")])
    kind = None
    if resource.appointmentType is not None:
        kind = kind_of(resource.appointmentType)
        if kind is None:
            raise InvalidResource(
                [("Appointment.appointmentType", "Use a code of urn:hms:appointment-kind.")]
            )
    reason, reason_path = _reason(resource)
    return BookingRequest(
        patient=patients[0][1],
        patient_path=patients[0][0],
        slot=slot,
        practitioner=practitioners[0][1] if practitioners else None,
        practitioner_path=practitioners[0][0] if practitioners else "Appointment.participant",
        kind=kind,
        reason=reason,
        reason_path=reason_path,
        start=resource.start,
        end=resource.end,
    )


def _slot_id(text: str | None) -> int:
    where = "Appointment.slot[0].reference"
    try:
        return searching.integer_id(text or "", "Slot", "slot")
    except InvalidResource as exc:
        raise InvalidResource([(where, "Refer to a Slot of this server (Slot/id).")]) from exc


def _actors(resource: FhirAppointment) -> tuple[list, list]:
    """(path, id) of the Patient and Practitioner actors; rooms (contained Locations,
    '#id') are the slot's and are not read."""
    patients, practitioners = [], []
    for index, participant in enumerate(resource.participant):
        where = f"Appointment.participant[{index}].actor.reference"
        text = participant.actor.reference if participant.actor else None
        if not text or text.startswith("#"):
            continue
        kind = text.split("://")[-1].rstrip("/").split("/")[-2] if "/" in text else ""
        if kind not in ("Patient", "Practitioner"):
            raise InvalidResource([(where, "Refer to the Patient and the slot's Practitioner.")])
        try:
            found = searching.uuid_id(text, kind, where)
        except InvalidResource as exc:
            raise InvalidResource([(where, f"Refer to a {kind} of this server.")]) from exc
        (patients if kind == "Patient" else practitioners).append((where, found))
    return patients, practitioners


def _reason(resource: FhirAppointment) -> tuple[str, str]:
    texts = [c.text for c in resource.reasonCode or [] if c.text]
    if texts:
        return "; ".join(texts), "Appointment.reasonCode[0].text"
    return resource.description or "", "Appointment.description"


def check_slot_agrees(request: BookingRequest, slot) -> None:
    """A practitioner, start or end the client gave must be the slot's: booking the
    slot would otherwise give the patient another time or doctor than they asked for."""
    issues = []
    if request.practitioner is not None and request.practitioner != slot.practitioner.external_id:
        issues.append((request.practitioner_path, "The slot is with another practitioner."))
    if request.start is not None and request.start != slot.starts_at:
        issues.append(("Appointment.start", "Must be the slot's start."))
    if request.end is not None and request.end != slot.ends_at:
        issues.append(("Appointment.end", "Must be the slot's end."))
    if issues:
        raise Unprocessable(issues)


def check_unmoved(resource: FhirAppointment, stored: Appointment) -> None:
    """An update may change the status only: another slot or time is a reschedule."""
    slots = [s.reference for s in resource.slot or []]
    if slots and slots != [f"Slot/{stored.slot_id}"]:
        raise Unprocessable(
            [("Appointment.slot", "An update cannot move the appointment to another slot.")]
        )
    if resource.start is not None and resource.start != stored.starts_at:
        raise Unprocessable([("Appointment.start", "An update cannot change the time.")])
