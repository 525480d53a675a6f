from __future__ import annotations

from rest_framework.permissions import BasePermission

from hms.accounts import policies

# Views open to anyone signed in say so explicitly; a view that names nothing is denied.
SIGNED_IN = "signed_in"


class HasRolePermission(BasePermission):
    """Grants a view's `required_permission` in the caller's current facility."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_permission", None)
        if required is None or not request.user.is_authenticated:
            return False
        if required == SIGNED_IN:
            return True
        facility = getattr(request._request, "facility", None)
        if policies.has_permission(request.user, required, facility):
            return True
        self.message = f"Your role does not allow this (needs {required})."
        return False
