"""The specialty catalogue is plain reference data, kept in the admin. Practitioners are
listed here for administrators to browse; they change through the staff directory's
services (the API), which validate phones and languages and keep the search name."""

from __future__ import annotations

from django.contrib import admin

from hms.accounts.admin import AuditedModelAdmin
from hms.accounts.permissions import Perm
from hms.staff.models import Practitioner, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(AuditedModelAdmin):
    permission = Perm.MANAGE_STAFF_DIRECTORY
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Practitioner)
class PractitionerAdmin(AuditedModelAdmin):
    permission = Perm.MANAGE_STAFF_DIRECTORY
    list_display = ["family_name", "given_name", "kind", "department", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["given_name", "family_name", "registration_number"]
    list_select_related = ["department"]

    def get_queryset(self, request):
        # The directory of the facility the administrator is working in, as elsewhere.
        return super().get_queryset(request).filter(facility=getattr(request, "facility", None))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
