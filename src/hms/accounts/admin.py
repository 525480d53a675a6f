"""Reference-data administration (facilities, departments, roles' two-factor rule).

The Django admin serves these plain CRUD screens; access follows hms roles, not
Django's is_staff flag, and every change is written to the audit trail.
"""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts import policies
from hms.accounts.models import Role
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.models import Department, Facility


class AuditedModelAdmin(admin.ModelAdmin):
    permission = Perm.MANAGE_FACILITY

    def _allowed(self, request) -> bool:
        return policies.has_permission(
            request.user, self.permission, getattr(request, "facility", None)
        )

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead; records reference these rows

    def log_addition(self, request, obj, message):
        record_event(action=Action.CREATE, actor=request.user, obj=obj, reason="administration")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        record_event(
            action=Action.UPDATE,
            actor=request.user,
            obj=obj,
            reason=f"administration: {self.construct_change_message_text(message)}"[:500],
        )
        return super().log_change(request, obj, message)

    @staticmethod
    def construct_change_message_text(message) -> str:
        changed = [f for m in (message or []) for f in m.get("changed", {}).get("fields", [])]
        return "changed " + ", ".join(changed) if changed else "saved"


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    fields = ["code", "name", "kind", "is_active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Facility)
class FacilityAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "timezone", "currency", "is_active"]
    search_fields = ["code", "name"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "facility", "is_active"]
    list_filter = ["kind", "facility"]
    search_fields = ["code", "name"]


@admin.register(Role)
class RoleAdmin(AuditedModelAdmin):
    permission = Perm.MANAGE_USERS
    list_display = ["code", "name", "requires_two_factor"]
    fields = ["code", "name", "requires_two_factor", "permissions"]
    readonly_fields = ["code", "name", "permissions"]

    def has_add_permission(self, request) -> bool:
        return False


# Screens other packages register that hms manages elsewhere: groups are unused (roles
# replace them), authenticators are reset from the user page, and sign-in attempts are in
# the audit trail.
for model in (Group, TOTPDevice, StaticDevice, AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
