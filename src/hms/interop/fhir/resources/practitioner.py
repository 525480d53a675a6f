"""The staff directory as FHIR R4 Practitioner and PractitionerRole.

Choices worth knowing:
- The licensing board's registration number is the identifier with system
  `urn:hms:registration-number` (type LN, licence number, from v2 table 0203).
- `qualification` holds each comma-separated part of the directory's qualifications
  ("MBChB, MMed (Paeds)") as text: they are not coded in the directory.
- Each practitioner works in one facility, so each has one PractitionerRole, with the
  practitioner's own id: what they are (doctor, nurse: `code`), their specialties,
  their department (an Organization of this server, or the facility when they have
  none), the rooms of their sessions (contained Locations) and the weekly hours of
  those sessions (`availableTime`).
- Specialties are coded with system `urn:hms:specialty`: a specialty's code may be a
  SNOMED CT or a local code, and the directory does not say which.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole

from hms.core.names import tokens
from hms.interop.fhir.resources import searching
from hms.scheduling.models import Schedule
from hms.scheduling.times import zone_of
from hms.staff.models import Practitioner
from hms.staff.policies import scope_practitioners

REGISTRATION_SYSTEM = "urn:hms:registration-number"
SPECIALTY_SYSTEM = "urn:hms:specialty"
KIND_SYSTEM = "urn:hms:practitioner-kind"
LANGUAGE = "urn:ietf:bcp:47"
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/practitioner-role"
# The practitioner-role codes (https://hl7.org/fhir/R4/codesystem-practitioner-role.html)
# our kinds are; the others go with our own code alone.
_HL7_ROLE = {
    Practitioner.Kind.DOCTOR: ("doctor", "Doctor"),
    Practitioner.Kind.NURSE: ("nurse", "Nurse"),
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Schedule.Weekday 0..6

PRACTITIONER_PARAMS = (
    ("_id", "token"),
    ("name", "string"),
    ("identifier", "token"),
    ("active", "token"),
)
ROLE_PARAMS = (
    ("_id", "token"),
    ("practitioner", "reference"),
    ("specialty", "token"),
)


def reference(practitioner: Practitioner) -> dict[str, str]:
    return {
        "reference": f"Practitioner/{practitioner.external_id}",
        "display": practitioner.display_name,
    }


def specialty_concepts(practitioner: Practitioner) -> list[dict] | None:
    """The practitioner's specialties (prefetched) as CodeableConcepts."""
    return [
        {"coding": [{"system": SPECIALTY_SYSTEM, "code": s.code, "display": s.name}]}
        for s in practitioner.specialties.all()
    ] or None


def room_location(room) -> dict[str, Any]:
    """A room as a contained Location: this server has no Location endpoint."""
    return {
        "resourceType": "Location",
        "id": f"room-{room.external_id}",
        "identifier": [{"system": "urn:hms:room-code", "value": room.code}],
        "name": room.name,
        "status": "active" if room.is_active else "inactive",
        "mode": "instance",
    }


def room_reference(room) -> dict[str, str]:
    return {"reference": f"#room-{room.external_id}", "display": room.name}


# --- Practitioner ------------------------------------------------------------------------


def to_fhir(practitioner: Practitioner) -> FhirPractitioner:
    """The directory entry as a validated R4 Practitioner."""
    return FhirPractitioner(
        id=str(practitioner.external_id),
        active=practitioner.is_active,
        identifier=_identifiers(practitioner),
        name=[
            {
                "use": "official",
                "text": practitioner.display_name,
                "family": practitioner.family_name,
                "given": [practitioner.given_name],
                **({"prefix": [practitioner.title]} if practitioner.title else {}),
            }
        ],
        telecom=_telecom(practitioner),
        qualification=_qualifications(practitioner.qualifications),
        communication=[
            {"coding": [{"system": LANGUAGE, "code": tag}]} for tag in practitioner.languages
        ]
        or None,
    )


def _identifiers(practitioner: Practitioner) -> list[dict] | None:
    if not practitioner.registration_number:
        return None
    return [
        {
            "use": "official",
            "type": {
                "coding": [{"system": IDENTIFIER_TYPES, "code": "LN", "display": "License number"}]
            },
            "system": REGISTRATION_SYSTEM,
            "value": practitioner.registration_number,
        }
    ]


def _telecom(practitioner: Practitioner) -> list[dict] | None:
    found = []
    if practitioner.phone:
        found.append({"system": "phone", "value": practitioner.phone, "use": "work"})
    if practitioner.email:
        found.append({"system": "email", "value": practitioner.email, "use": "work"})
    return found or None


def _qualifications(text: str) -> list[dict] | None:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return [{"code": {"text": part}} for part in parts] or None


def practitioners(viewer: Any, facility) -> QuerySet[Practitioner]:
    """The facility's practitioners the viewer may see (VIEW_SCHEDULE), as the REST
    directory scopes them, with what the resources show."""
    scoped = scope_practitioners(viewer, facility, Practitioner.objects.all())
    return scoped.select_related("department", "facility").prefetch_related("specialties")


def search_practitioners(qs: QuerySet[Practitioner], params) -> QuerySet[Practitioner]:
    qs = searching.filter_groups(
        qs, params, "_id", lambda v: Q(external_id=searching.uuid_id(v, "Practitioner", "_id"))
    )
    qs = searching.filter_groups(qs, params, "name", _name_condition)
    qs = searching.filter_groups(qs, params, "identifier", _identifier_condition)
    qs = searching.filter_groups(
        qs, params, "active", lambda v: Q(is_active=searching.boolean(v, "active"))
    )
    return qs.order_by("family_name", "given_name", "pk")


def _name_condition(value: str) -> Q:
    """Every word given starts a word of the name, accents and case ignored, as the
    directory's own search matches them (title left out)."""
    words = tokens(value)
    if not words:
        raise searching.bad("name", "Give a name to search for.")
    condition = Q()
    for word in words:
        condition &= Q(search_name__startswith=word) | Q(search_name__contains=f" {word}")
    return condition


def _identifier_condition(value: str) -> Q:
    system, code = searching.token(value)
    if system not in (None, REGISTRATION_SYSTEM):
        return Q(pk__in=[])  # no identifier of any other system is kept
    if not code:
        return ~Q(registration_number="")
    return Q(registration_number=code)


# --- PractitionerRole --------------------------------------------------------------------


def roles(viewer: Any, facility) -> QuerySet[Practitioner]:
    """`practitioners` with their sessions still running (and their rooms)."""
    today = timezone.localdate(timezone=zone_of(facility)) if facility else dt.date.min
    running = (
        Schedule.objects.filter(is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("room")
        .order_by("weekday", "starts_at")
    )
    return practitioners(viewer, facility).prefetch_related(
        Prefetch("schedules", queryset=running, to_attr="running_schedules")
    )


def role_to_fhir(practitioner: Practitioner) -> PractitionerRole:
    """The practitioner's role in their facility as a validated R4 PractitionerRole
    (`roles` prefetches what it reads)."""
    sessions = getattr(practitioner, "running_schedules", [])
    rooms = {s.room.pk: s.room for s in sessions if s.room is not None}
    department = practitioner.department
    organization = department.external_id if department else practitioner.facility.external_id
    return PractitionerRole(
        id=str(practitioner.external_id),
        contained=[room_location(room) for room in rooms.values()] or None,
        active=practitioner.is_active,
        practitioner=reference(practitioner),
        organization={
            "reference": f"Organization/{organization}",
            "display": department.name if department else practitioner.facility.name,
        },
        code=[_kind_concept(practitioner)],
        specialty=specialty_concepts(practitioner),
        location=[room_reference(room) for room in rooms.values()] or None,
        availableTime=[
            {
                "daysOfWeek": [DAYS[s.weekday]],
                "availableStartTime": s.starts_at,
                "availableEndTime": s.ends_at,
            }
            for s in sessions
        ]
        or None,
    )


def _kind_concept(practitioner: Practitioner) -> dict:
    coding = [
        {
            "system": KIND_SYSTEM,
            "code": practitioner.kind,
            "display": practitioner.get_kind_display(),
        }
    ]
    if practitioner.kind in _HL7_ROLE:
        code, display = _HL7_ROLE[practitioner.kind]
        coding.insert(0, {"system": ROLE_SYSTEM, "code": code, "display": display})
    return {"coding": coding, "text": practitioner.get_kind_display()}


def search_roles(qs: QuerySet[Practitioner], params) -> QuerySet[Practitioner]:
    qs = searching.filter_groups(
        qs, params, "_id", lambda v: Q(external_id=searching.uuid_id(v, "PractitionerRole", "_id"))
    )
    qs = searching.filter_groups(
        qs,
        params,
        "practitioner",
        lambda v: Q(external_id=searching.uuid_id(v, "Practitioner", "practitioner")),
    )
    qs = searching.filter_groups(qs, params, "specialty", specialty_condition("pk"))
    return qs.order_by("family_name", "given_name", "pk")


def specialty_condition(practitioner_field: str):
    """The Q for one `specialty` token value, on the practitioner `practitioner_field`
    names (a subquery, so a practitioner with two matching specialties counts once)."""
    specialties = Practitioner.specialties.through.objects

    def condition(value: str) -> Q:
        system, code = searching.token(value)
        if system not in (None, SPECIALTY_SYSTEM):
            return Q(pk__in=[])  # no specialty of another system is kept
        if not code:
            raise searching.bad("specialty", "Give a specialty code.")
        holders = specialties.filter(specialty__code=code.upper()).values("practitioner_id")
        return Q(**{f"{practitioner_field}__in": holders})

    return condition
