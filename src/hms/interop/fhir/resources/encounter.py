"""Outpatient visits as FHIR R4 Encounter (read and search only).

Choices worth knowing:
- Statuses: arrived, triaged, in consultation (`in-progress`) and finished map one to
  one. A patient who left without being seen is `cancelled`, not `finished`: R4
  defines `in-progress` as the time "the practitioner and the patient are meeting",
  `finished` as "the Encounter has ended" and `cancelled` as "the Encounter has ended
  before it has begun" (https://hl7.org/fhir/R4/valueset-encounter-status.html), and
  a visit can only be left from arrived or triaged, before any meeting. Calling it
  finished would count it among the consultations held. Why it ended shows as
  `hospitalization.dischargeDisposition` text "Left without being seen", and the
  steps it went through are in `statusHistory`.
- `class` is the v3 ActCode of the visit (AMB, EMER); the department seen is the
  `serviceProvider` (departments are Organizations of this server); the practitioner,
  when one is named, the primary performer; the appointment checked in for it, when
  it came from one, `appointment`.
- `period` runs from arrival to the end (none while the visit goes on); a date search
  compares that period as the FHIR date search table says.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.encounter import Encounter as FhirEncounter

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.encounters.models import Encounter
from hms.interop.fhir.resources import searching
from hms.interop.fhir.resources.appointment import PARTICIPATION
from hms.interop.fhir.resources.practitioner import reference

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLASS_DISPLAY = {Encounter.Class.AMBULATORY: "ambulatory", Encounter.Class.EMERGENCY: "emergency"}
STATUS = {
    Encounter.Status.ARRIVED: "arrived",
    Encounter.Status.TRIAGED: "triaged",
    Encounter.Status.IN_CONSULTATION: "in-progress",
    Encounter.Status.FINISHED: "finished",
    Encounter.Status.LEFT: "cancelled",
}
# Valid R4 codes no visit here has.
_OTHER_STATUSES = ("planned", "onleave", "entered-in-error", "unknown")
SEARCH_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("subject", "reference"),
    ("date", "date"),
    ("status", "token"),
)


def to_fhir(encounter: Encounter, zone: zoneinfo.ZoneInfo) -> FhirEncounter:
    """The visit as a validated R4 Encounter, its times in `zone` (the facility's);
    `encounters` loads what it reads."""
    appointment = _appointment(encounter)
    department = encounter.department
    left = encounter.status == Encounter.Status.LEFT
    return FhirEncounter(
        id=str(encounter.external_id),
        meta={"lastUpdated": encounter.updated_at},
        status=STATUS[encounter.status],
        statusHistory=_history(encounter, zone) or None,
        **{
            "class": {
                "system": ACT_CODE,
                "code": encounter.encounter_class,
                "display": _CLASS_DISPLAY[encounter.encounter_class],
            }
        },
        subject={"reference": f"Patient/{encounter.patient.external_id}"},
        participant=(
            [
                {
                    "type": [
                        {
                            "coding": [
                                {
                                    "system": PARTICIPATION,
                                    "code": "PPRF",
                                    "display": "primary performer",
                                }
                            ]
                        }
                    ],
                    "individual": reference(encounter.practitioner),
                }
            ]
            if encounter.practitioner
            else None
        ),
        appointment=(
            [{"reference": f"Appointment/{appointment.external_id}"}] if appointment else None
        ),
        period=_period(encounter.arrived_at, encounter.ended_at, zone),
        hospitalization=(
            {"dischargeDisposition": {"text": "Left without being seen"}} if left else None
        ),
        serviceProvider={
            "reference": f"Organization/{department.external_id}",
            "display": department.name,
        },
    )


def _appointment(encounter: Encounter):
    try:
        return encounter.ticket.appointment
    except ObjectDoesNotExist:
        return None  # a walk-in, or a visit opened without the queue


def _period(start, end, zone) -> dict[str, Any]:
    period = {"start": timezone.localtime(start, zone)}
    if end is not None:
        period["end"] = timezone.localtime(end, zone)
    return period


def _history(encounter: Encounter, zone) -> list[dict[str, Any]]:
    """The statuses the visit has left behind, each with the time it held it."""
    steps = [
        (code, at)
        for code, at in (
            ("arrived", encounter.arrived_at),
            ("triaged", encounter.triaged_at),
            ("in-progress", encounter.consultation_started_at),
            (STATUS[encounter.status], encounter.ended_at),
        )
        if at is not None
    ]
    return [
        {"status": code, "period": _period(start, end, zone)}
        for (code, start), (_, end) in zip(steps, steps[1:], strict=False)
    ]


# --- reading -----------------------------------------------------------------------------


def encounters(viewer: Any, facility) -> QuerySet[Encounter]:
    """The facility's visits for a viewer who sees its patients (VIEW_PATIENT): a visit
    is part of the patient's record."""
    if facility is None or not policies.has_permission(viewer, Perm.VIEW_PATIENT, facility):
        return Encounter.objects.none()
    return Encounter.objects.filter(facility=facility).select_related(
        "patient", "practitioner", "department", "ticket__appointment"
    )


def search(qs: QuerySet[Encounter], params, zone: zoneinfo.ZoneInfo) -> QuerySet[Encounter]:
    qs = searching.filter_groups(
        qs, params, "_id", lambda v: Q(external_id=searching.uuid_id(v, "Encounter", "_id"))
    )
    for name in ("patient", "subject"):
        qs = searching.filter_groups(
            qs,
            params,
            name,
            lambda v, name=name: Q(patient__external_id=searching.uuid_id(v, "Patient", name)),
        )
    qs = searching.filter_groups(qs, params, "status", _status_condition)
    qs = searching.filter_dates(
        qs,
        params,
        "date",
        zone,
        lambda prefix, low, high: searching.period_condition(
            prefix, low, high, "arrived_at", "ended_at"
        ),
    )
    return qs.order_by("arrived_at", "pk")


def _status_condition(value: str) -> Q:
    system, code = searching.token(value)
    if system not in (None, "http://hl7.org/fhir/encounter-status"):
        raise searching.bad("status", "Use a code of http://hl7.org/fhir/encounter-status.")
    ours = [status for status, fhir in STATUS.items() if fhir == code]
    if ours:
        return Q(status__in=ours)
    if code in _OTHER_STATUSES:
        return Q(pk__in=[])
    raise searching.bad("status", f"Use one of {', '.join(STATUS.values())}.")
