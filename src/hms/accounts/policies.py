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
from hms.core.rows import Columns, fetch

_CACHE_ATTR = "_hms_role_cache"
_FACILITIES_ATTR = "_hms_facilities_cache"


_ROLE, _FACILITY = Columns(Role), Columns(Facility)


def _assignments(user: Any) -> dict[int, list[Role]]:
    """Roles by facility id, loaded once per user object. Every request asks, so this
    is one plain statement, which also reads the facilities: compiling the ORM's
    three-table join cost more than the rest of a simple API call."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        sql = (
            f"SELECT {_ROLE.select('r')}, {_FACILITY.select('f')} "  # noqa: S608
            f"FROM {ASSIGNMENTS} WHERE a.user_id = %s ORDER BY {ASSIGNMENTS_ORDER}"
        )
        cached = remember_roles(user, fetch(sql, [user.pk], _ROLE, _FACILITY))
    return cached


# The user's roles in active facilities (aliases a, r, f), in the order `remember_roles`
# expects: for a statement that reads them along with the user (token authentication).
ASSIGNMENTS = (
    f"{RoleAssignment._meta.db_table} a "
    f"JOIN {Role._meta.db_table} r ON r.id = a.role_id "
    f"JOIN {Facility._meta.db_table} f ON f.id = a.facility_id AND f.is_active"
)
ASSIGNMENTS_ORDER = "a.facility_id, r.code"
ROLE_COLUMNS, FACILITY_COLUMNS = _ROLE, _FACILITY


def remember_roles(user: Any, rows) -> dict[int, list[Role]]:
    """Hold (role, facility) rows read from ASSIGNMENTS, in ASSIGNMENTS_ORDER, as the
    user's roles for the rest of the request."""
    cached, facilities = {}, {}
    for role, facility in rows:
        cached.setdefault(facility.pk, []).append(role)
        facilities[facility.pk] = facility
    setattr(user, _CACHE_ATTR, cached)
    setattr(user, _FACILITIES_ATTR, sorted(facilities.values(), key=lambda f: f.name))
    return cached


def forget_cached_roles(user: Any) -> None:
    for attr in (_CACHE_ATTR, _FACILITIES_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def facilities_of(user: Any) -> list[Facility]:
    if not getattr(user, "is_authenticated", False):
        return []
    _assignments(user)
    return list(getattr(user, _FACILITIES_ATTR))


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
