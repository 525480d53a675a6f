from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django_otp import user_has_device

from hms.accounts import policies
from hms.accounts.session import bind_actor

# Paths a user who still owes a second factor may reach.
_OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/login/",
    "/static/",
    "/healthz",
)


class FacilityMiddleware:
    """Sets `request.facility` and the audit context for signed-in users."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.facility = None
        if request.user.is_authenticated:
            bind_actor(request, request.user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class TwoFactorRequiredMiddleware:
    """Holds a password-only session at the second-factor step until it is verified.

    API tokens are not affected: they are issued only to verified sessions or by the
    CLI, and are checked by their own authentication class.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
            and policies.requires_two_factor(user)
        ):
            if request.path.startswith(("/api/", "/fhir/")):
                return JsonResponse(
                    {
                        "code": "TWO_FACTOR_REQUIRED",
                        "detail": "Complete two-factor login first.",
                    },
                    status=401,
                )
            if user_has_device(user, confirmed=True):
                return redirect("accounts:two-factor-verify")
            return redirect("accounts:two-factor-setup")
        return self.get_response(request)
