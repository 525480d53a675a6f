"""Practitioners' sessions and their slots as FHIR R4 Schedule and Slot.

Choices worth knowing:
- A Schedule is one weekly session. Its actors are the practitioner and, when the
  session has one, its room (a contained Location: this server has no Location
  endpoint). `planningHorizon` is the session's first and last day; `active` is false
  for a session switched off or past its last day. The kind of visit it offers is its
  `serviceType`.
- A Slot's id is the slot's number, as in the REST API. Its status is `free` while a
  place is left, `busy` when every place is booked, and `busy-unavailable` when it
  cannot be booked: blocked (leave, a holiday; the reason is the `comment`) or of a
  session or practitioner no longer active. `overbooked` says that more patients are
  booked in it than its session has places per slot (a place added for a patient
  likely not to come). A slot
  held back for emergencies is `free` with a comment saying so: only staff who may
  book emergency slots can take it.
- The kind of visit is coded with system `urn:hms:appointment-kind`, and with the v2
  table 0276 code as well where one means the same (ROUTINE, FOLLOWUP).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import F, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from fhir.resources.R4B.schedule import Schedule as FhirSchedule
from fhir.resources.R4B.slot import Slot as FhirSlot

from hms.interop.fhir.resources import searching
from hms.interop.fhir.resources.practitioner import (
    reference,
    room_location,
    room_reference,
    specialty_concepts,
    specialty_condition,
)
from hms.scheduling import selectors
from hms.scheduling.models import AppointmentKind, Schedule, Slot
from hms.scheduling.times import zone_of

KIND_SYSTEM = "urn:hms:appointment-kind"
APPOINTMENT_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0276"
_V2_TYPE = {
    AppointmentKind.NEW: ("ROUTINE", "Routine appointment - default if not valued"),
    AppointmentKind.FOLLOW_UP: ("FOLLOWUP", "A follow up visit from a previous appointment"),
}
SLOT_STATUSES = ("free", "busy", "busy-unavailable")

SCHEDULE_PARAMS = (
    ("_id", "token"),
    ("actor", "reference"),
    ("active", "token"),
)
SLOT_PARAMS = (
    ("_id", "token"),
    ("schedule", "reference"),
    ("start", "date"),
    ("status", "token"),
    ("specialty", "token"),
)


def kind_concept(kind: str) -> dict[str, Any]:
    """The kind of visit (AppointmentKind) as a CodeableConcept."""
    label = AppointmentKind(kind).label
    coding = [{"system": KIND_SYSTEM, "code": kind, "display": label}]
    if kind in _V2_TYPE:
        code, display = _V2_TYPE[kind]
        coding.append({"system": APPOINTMENT_TYPES, "code": code, "display": display})
    return {"coding": coding, "text": label}


def kind_of(concept) -> str | None:
    """The AppointmentKind a CodeableConcept names, or None when none of its codings
    is one we know."""
    by_v2 = {code: kind for kind, (code, _) in _V2_TYPE.items()}
    for coding in concept.coding or []:
        if coding.system == KIND_SYSTEM and coding.code in AppointmentKind.values:
            return coding.code
        if coding.system == APPOINTMENT_TYPES and coding.code in by_v2:
            return by_v2[coding.code]
    return None


def _today(facility) -> dt.date:
    return timezone.localdate(timezone=zone_of(facility))


# --- Schedule ----------------------------------------------------------------------------


def schedules(viewer: Any, facility) -> QuerySet[Schedule]:
    """The facility's sessions, for a viewer who sees its schedules (none otherwise)."""
    if facility is None or not selectors.can_view(viewer, facility):
        return Schedule.objects.none()
    return (
        Schedule.objects.filter(facility=facility)
        .select_related("practitioner", "room", "facility")
        .prefetch_related("practitioner__specialties")
    )


def schedule_to_fhir(schedule: Schedule) -> FhirSchedule:
    """One weekly session as a validated R4 Schedule."""
    actors = [reference(schedule.practitioner)]
    if schedule.room is not None:
        actors.append(room_reference(schedule.room))
    return FhirSchedule(
        id=str(schedule.external_id),
        contained=[room_location(schedule.room)] if schedule.room is not None else None,
        active=_running(schedule),
        serviceType=[kind_concept(schedule.kind)],
        specialty=specialty_concepts(schedule.practitioner),
        actor=actors,
        planningHorizon={
            "start": schedule.valid_from.isoformat(),
            **({"end": schedule.valid_until.isoformat()} if schedule.valid_until else {}),
        },
        comment=_session_text(schedule),
    )


def _running(schedule: Schedule) -> bool:
    if not schedule.is_active:
        return False
    return schedule.valid_until is None or schedule.valid_until >= _today(schedule.facility)


def _session_text(schedule: Schedule) -> str:
    text = (
        f"{schedule.get_weekday_display()}s {schedule.starts_at:%H:%M}-{schedule.ends_at:%H:%M}"
        f" ({schedule.facility.timezone}), {schedule.slot_minutes}-minute slots,"
        f" {schedule.capacity} patient{'s' if schedule.capacity > 1 else ''} per slot"
    )
    if schedule.breaks:
        text += ", breaks " + ", ".join(f"{a}-{b}" for a, b in schedule.breaks)
    if schedule.emergency_slots:
        text += f", last {schedule.emergency_slots} held for emergencies"
    return text + "."


def search_schedules(qs: QuerySet[Schedule], params, facility) -> QuerySet[Schedule]:
    qs = searching.filter_groups(
        qs, params, "_id", lambda v: Q(external_id=searching.uuid_id(v, "Schedule", "_id"))
    )
    qs = searching.filter_groups(qs, params, "actor", _actor_condition)
    qs = searching.filter_groups(
        qs, params, "active", lambda v: _active_condition(searching.boolean(v, "active"), facility)
    )
    return qs.order_by("practitioner__family_name", "practitioner_id", "weekday", "starts_at")


def _actor_condition(value: str) -> Q:
    kind = value.rstrip("/").split("/")[-2] if "/" in value else "Practitioner"
    if kind != "Practitioner":
        # Rooms are contained Locations, which a search cannot name.
        raise searching.bad("actor", "Refer to a Practitioner (Practitioner/id).")
    return Q(practitioner__external_id=searching.uuid_id(value, "Practitioner", "actor"))


def _active_condition(active: bool, facility) -> Q:
    running = Q(is_active=True) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=_today(facility))
    )
    return running if active else ~running


# --- Slot --------------------------------------------------------------------------------


def slots(viewer: Any, facility) -> QuerySet[Slot]:
    """The facility's slots, for a viewer who sees its schedules (none otherwise), as
    the REST API scopes them (through the session's facility). The practitioner's
    facility, the same by construction (a session is its practitioner's), lets the
    planner read each practitioner's slots in time order from their own index rather
    than every slot of every session of the facility."""
    if facility is None or not selectors.can_view(viewer, facility):
        return Slot.objects.none()
    return Slot.objects.filter(schedule__facility=facility, practitioner__facility=facility)


def with_related(qs: QuerySet[Slot]) -> QuerySet[Slot]:
    return qs.select_related("schedule", "practitioner")


def load_specialties(rows: list[Slot]) -> None:
    """One query for the specialties of a page of slots, however it was read."""
    prefetch_related_objects(rows, "practitioner__specialties")


def slot_status(slot: Slot) -> str:
    if slot.blocked_reason:
        return "busy-unavailable"
    if slot.booked >= slot.capacity:
        return "busy"
    if not (slot.schedule.is_active and slot.practitioner.is_active):
        return "busy-unavailable"
    return "free"


def slot_to_fhir(slot: Slot, zone: zoneinfo.ZoneInfo) -> FhirSlot:
    """One slot as a validated R4 Slot, its times in `zone` (the facility's);
    `with_related` loads what it reads."""
    return FhirSlot(
        id=str(slot.pk),
        schedule={"reference": f"Schedule/{slot.schedule.external_id}"},
        status=slot_status(slot),
        start=timezone.localtime(slot.starts_at, zone),
        end=timezone.localtime(slot.ends_at, zone),
        appointmentType=kind_concept(slot.schedule.kind),
        specialty=specialty_concepts(slot.practitioner),
        overbooked=slot.booked > slot.schedule.capacity,
        comment=_slot_text(slot),
    )


def _slot_text(slot: Slot) -> str:
    parts = [f"{slot.booked} of {slot.capacity} booked"]
    if slot.blocked_reason:
        parts.append(f"blocked: {slot.blocked_reason}")
    if slot.is_emergency:
        parts.append("held for emergencies")
    return "; ".join(parts) + "."


def status_condition(value: str) -> Q:
    """Exactly the slots `slot_status` gives that status."""
    system, code = searching.token(value)
    if system not in (None, "http://hl7.org/fhir/slotstatus") or code not in SLOT_STATUSES:
        raise searching.bad("status", f"Use one of {', '.join(SLOT_STATUSES)}.")
    blocked = ~Q(blocked_reason="")
    full = Q(booked__gte=F("capacity"))
    closed = Q(schedule__is_active=False) | Q(practitioner__is_active=False)
    return {
        "free": Q(blocked_reason="", booked__lt=F("capacity"))
        & Q(schedule__is_active=True, practitioner__is_active=True),
        "busy": Q(blocked_reason="") & full,
        "busy-unavailable": blocked | (~full & closed),
    }[code]


def search_slots(qs: QuerySet[Slot], params, facility) -> QuerySet[Slot]:
    zone = zone_of(facility) if facility else dt.UTC
    qs = searching.filter_groups(
        qs, params, "_id", lambda v: Q(pk=searching.integer_id(v, "Slot", "_id"))
    )
    qs = searching.filter_groups(
        qs,
        params,
        "schedule",
        lambda v: Q(schedule__external_id=searching.uuid_id(v, "Schedule", "schedule")),
    )
    if searching.groups(params, "status") == [["free"]] and facility is not None:
        qs = qs & selectors.open_slots(facility)  # the booking screens' own "free"
    else:
        qs = searching.filter_groups(qs, params, "status", status_condition)
    qs = searching.filter_groups(qs, params, "specialty", specialty_condition("practitioner_id"))
    qs = searching.filter_dates(
        qs,
        params,
        "start",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "starts_at"),
    )
    return qs.order_by("starts_at", "practitioner_id")


def page_of_slots(qs: QuerySet[Slot], params, page: searching.Page, zone) -> searching.Found:
    """One page of `qs`, read as `selectors.next_free_slots` reads free slots: from the
    earliest start the search allows, one time range after another
    (`selectors.SEARCH_SPANS`), until the page is full. Unbounded, a database without
    statistics (SQLite) sorts every matching slot up to the horizon to return the
    first few. Without a lower bound on `start` the page is read in one query."""
    since = _earliest_start(params, zone)
    if since is None or page.count == 0:
        return searching.page_of(qs, page)
    wanted = page.offset + page.count + 1
    rows: list[Slot] = []
    start = since
    for end in [*(since + span for span in selectors.SEARCH_SPANS), None]:
        window = qs.filter(starts_at__gte=start)
        if end is not None:
            window = window.filter(starts_at__lt=end)
        rows.extend(window[: wanted - len(rows)])
        if len(rows) >= wanted or end is None:
            break
        start = end
    shown = rows[page.offset : page.offset + page.count]
    more = len(rows) > page.offset + page.count
    total = None if more or (not shown and page.offset) else page.offset + len(shown)
    return searching.Found(rows=shown, more=more, total=total)


def _earliest_start(params, zone) -> dt.datetime | None:
    """The latest of the lower bounds the `start` values set (one value each: a
    comma's OR sets none)."""
    bounds = []
    for values in searching.groups(params, "start"):
        if len(values) != 1:
            continue
        prefix, low, high = searching.date_range(values[0], "start", zone)
        if prefix in ("eq", "ge"):
            bounds.append(low)
        elif prefix in ("gt", "sa"):
            bounds.append(high)
    return max(bounds, default=None)
