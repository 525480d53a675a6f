"""Who may do what, in which facility. Pages, the REST API and the FHIR API all ask here.

The default is deny: a user holds no permission outside the facilities where they have
a role, and an inactive user holds none at all.
"""

from __future__ import annotations

from typing import Any

from django_otp import user_has_device

from hms.accounts.models import Role, RoleAssignment
from hms.accounts.permissions import Perm
from hms.core.errors import NotPermitted
from hms.core.models import Facility

_CACHE_ATTR = "_hms_role_cache"


def _assignments(user: Any) -> dict[int, list[Role]]:
    """Roles by facility id, loaded once per user object (one query)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = {}
        rows = (
            RoleAssignment.objects.filter(user_id=user.pk, facility__is_active=True)
            .select_related("role")
            .order_by("facility_id", "role__code")
        )
        for row in rows:
            cached.setdefault(row.facility_id, []).append(row.role)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_cached_roles(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def facilities_of(user: Any) -> list[Facility]:
    if not getattr(user, "is_authenticated", False):
        return []
    ids = list(_assignments(user))
    return list(Facility.objects.filter(id__in=ids).order_by("name"))


def roles_in(user: Any, facility: Facility | None) -> tuple[str, ...]:
    if facility is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    return tuple(role.code for role in _assignments(user).get(facility.pk, []))


def permissions_in(user: Any, facility: Facility | None) -> frozenset[str]:
    if facility is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    roles = _assignments(user).get(facility.pk, [])
    return frozenset(perm for role in roles for perm in role.permissions)


def has_permission(user: Any, perm: Perm | str, facility: Facility | None) -> bool:
    return str(perm) in permissions_in(user, facility)


def check_permission(user: Any, perm: Perm | str, facility: Facility | None) -> None:
    """Raise NotPermitted unless `user` holds `perm` in `facility`."""
    if not has_permission(user, perm, facility):
        raise NotPermitted(f"Your role does not allow this ({perm}).", code="NOT_PERMITTED")


def requires_two_factor(user: Any) -> bool:
    """True when any of the user's roles demands a second factor, or they enrolled one."""
    if not getattr(user, "is_authenticated", False):
        return False
    if any(role.requires_two_factor for roles in _assignments(user).values() for role in roles):
        return True
    return user_has_device(user, confirmed=True)
