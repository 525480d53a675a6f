"""Reads about users for pages and dashboards."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts.models import User
from hms.core.models import Facility


def user_security_summary(*, facility: Facility) -> dict[str, int]:
    users = User.objects.filter(role_assignments__facility=facility, is_active=True).distinct()
    needing = users.filter(
        role_assignments__facility=facility,
        role_assignments__role__requires_two_factor=True,
    ).distinct()
    enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    locked = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
        username__in=users.values("username"),
    )
    return {
        "active_users": users.count(),
        "awaiting_two_factor": needing.exclude(id__in=enrolled).count(),
        "locked": locked.values("username").distinct().count(),
    }
