from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_otp import user_has_device

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.audit import selectors as audit_selectors
from hms.audit.services import Action, Outcome, record_event
from hms.web import home_cards


def _greeting() -> str:
    hour = timezone.localtime().hour
    return "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user, facility = request.user, request.facility
    return render(
        request,
        "web/home.html",
        {
            # Staff who see patients start on the patient search box (UX.md: search first).
            "patient_search": policies.has_permission(user, Perm.VIEW_PATIENT, facility),
            "can_register": policies.has_permission(user, Perm.REGISTER_PATIENT, facility),
            "greeting": _greeting(),
            "cards": home_cards.cards_for(user, facility),
            "has_2fa": user_has_device(request.user, confirmed=True),
            "recent_sign_ins": audit_selectors.recent_sign_ins(user=request.user),
        },
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A POST without a valid CSRF token: refused, explained, and audited."""
    user = (
        request.user if getattr(request, "user", None) and request.user.is_authenticated else None
    )
    record_event(
        action=Action.UPDATE if request.method != "GET" else Action.READ,
        actor=user,
        object_type=f"page:{request.path}"[:100],
        outcome=Outcome.DENIED,
        reason=f"CSRF check failed: {reason}"[:500],
    )
    return render(
        request,
        "web/403.html",
        {
            "reason": "The form was stale or did not come from this site (CSRF check failed). "
            "Reload the page and try again.",
        },
        status=403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        reason = f"The form sent more than {limit:g} MB, the most this site accepts."
        return render(request, "web/400.html", {"reason": reason}, status=413)
    return render(request, "web/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=500)
