from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from hms.accounts import policies
from hms.accounts.permissions import ROLES
from hms.web.navigation import NAVIGATION


def shell(request: HttpRequest) -> dict[str, object]:
    """What the page frame needs: navigation, facility switcher, idle timeout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"idle_timeout_seconds": settings.IDLE_TIMEOUT_SECONDS}
    # A user signed in by API token (the API's HTML pages) has no is_verified: no menu.
    if policies.requires_two_factor(user) and not getattr(user, "is_verified", bool)():
        # Half signed in: every page but the second-factor step is out of reach.
        return {
            "idle_timeout_seconds": settings.IDLE_TIMEOUT_SECONDS,
            "second_factor_pending": True,
        }
    facility = getattr(request, "facility", None)
    allowed = policies.permissions_in(user, facility)
    nav = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "shortcut": item.shortcut,
            "active": request.path == reverse(item.url_name),
        }
        for item in NAVIGATION
        if item.permission is None or item.permission in allowed
    ]
    return {
        "nav": nav,
        "current_facility": facility,
        "user_facilities": policies.facilities_of(user),
        "current_roles": [
            ROLES[code].name for code in policies.roles_in(user, facility) if code in ROLES
        ],
        "idle_timeout_seconds": settings.IDLE_TIMEOUT_SECONDS,
    }
