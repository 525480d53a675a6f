"""Who may see and change the staff directory.

The default is deny: the directory of a facility is visible to those who see its
schedules there, and changed by those who manage it there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.core.errors import NotFound, NotPermitted
from hms.core.models import Facility
from hms.staff.models import Practitioner


def scope_practitioners(
    viewer: Any, facility: Facility | None, qs: QuerySet[Practitioner]
) -> QuerySet[Practitioner]:
    if not policies.has_permission(viewer, Perm.VIEW_SCHEDULE, facility):
        return qs.none()
    return qs.filter(facility=facility)


def check_manage_practitioner(actor: Any, practitioner: Practitioner) -> None:
    """NotPermitted without MANAGE_STAFF_DIRECTORY in the practitioner's facility. A
    practitioner of a facility whose directory the actor cannot see answers NotFound, so
    ids cannot be probed."""
    if not policies.has_permission(actor, Perm.VIEW_SCHEDULE, practitioner.facility):
        raise NotFound("No such practitioner.")
    policies.check_permission(actor, Perm.MANAGE_STAFF_DIRECTORY, practitioner.facility)


def check_manage_specialties(actor: Any) -> None:
    """Specialties are one catalogue shared by every facility: whoever manages the
    directory of any facility may add to it. Raises NotPermitted otherwise."""
    facilities = policies.facilities_of(actor)
    if not any(policies.has_permission(actor, Perm.MANAGE_STAFF_DIRECTORY, f) for f in facilities):
        raise NotPermitted(f"Your role does not allow this ({Perm.MANAGE_STAFF_DIRECTORY}).")
