"""Binding the acting user's facility and roles to the request, for pages and APIs alike."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from hms.accounts import policies
from hms.core import context
from hms.core.models import Facility

FACILITY_SESSION_KEY = "hms_facility_id"
FACILITY_HEADER = "HTTP_X_HMS_FACILITY"


def choose_facility(request: HttpRequest, user: Any) -> Facility | None:
    """The facility the user acts in: the one chosen (session or X-HMS-Facility header)
    if they hold a role there, else where they land (`landing_facility`)."""
    facilities = policies.facilities_of(user)
    if not facilities:
        return None
    wanted_code = request.META.get(FACILITY_HEADER, "")
    wanted_id = request.session.get(FACILITY_SESSION_KEY) if hasattr(request, "session") else None
    for facility in facilities:
        if facility.code == wanted_code or (not wanted_code and facility.pk == wanted_id):
            return facility
    return landing_facility(user, facilities)


def landing_facility(user: Any, facilities: list[Facility]) -> Facility:
    """Of the facilities where the user holds a role (by name): the one they last
    switched to, else the default an administrator set, else the first."""
    by_id = {facility.pk: facility for facility in facilities}
    for preferred in (user.last_facility_id, user.default_facility_id):
        if preferred in by_id:
            return by_id[preferred]
    return facilities[0]


def bind_actor(request: HttpRequest, user: Any) -> None:
    """Set the facility, its time zone (times are shown in the facility's zone) and the
    audit context. FacilityMiddleware resets the zone when the request ends."""
    facility = choose_facility(request, user)
    request.facility = facility
    if facility is not None:
        timezone.activate(zoneinfo.ZoneInfo(facility.timezone))
    context.update(
        facility_code=facility.code if facility else "",
        roles=policies.roles_in(user, facility),
    )
