from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required


class HmsAdminSite(admin.AdminSite):
    site_header = "hms administration"
    site_title = "hms administration"
    index_title = "Facilities, departments and roles"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and policies.has_permission(
                user, Perm.MANAGE_FACILITY, getattr(request, "facility", None)
            )
        )

    def admin_view(self, view, cacheable=False):
        # A signed-in user without the permission gets the audited 403 page: Django's
        # redirect to the admin login would bounce between the two sign-in pages forever.
        return permission_required(Perm.MANAGE_FACILITY)(super().admin_view(view, cacheable))

    def login(self, request, extra_context=None):
        return redirect_to_login(request.get_full_path())
