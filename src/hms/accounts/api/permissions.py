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


class PermissionByMethod:
    """A view mixin: `required_permission` chosen by HTTP method from `permissions`.

    Methods not listed need the first permission listed, so a caller who may use the
    view hears 405 for a method it does not offer, and anyone else 403.
    """

    permissions: dict[str, str] = {}

    @property
    def required_permission(self) -> str:
        method = "GET" if self.request.method == "HEAD" else self.request.method
        return self.permissions.get(method) or next(iter(self.permissions.values()))
