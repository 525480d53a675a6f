from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

from hms.accounts import policies
from hms.accounts import selectors as account_selectors
from hms.accounts.permissions import Perm
from hms.audit import selectors as audit_selectors
from hms.audit.services import Action, Outcome, record_event


def _greeting() -> str:
    hour = timezone.localtime().hour
    return "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"


def _cards(request: HttpRequest) -> list[dict[str, object]]:
    user, facility = request.user, request.facility
    cards = []
    if policies.has_permission(user, Perm.MANAGE_USERS, facility):
        summary = account_selectors.user_security_summary(facility=facility)
        cards.append(
            {
                "title": "Administration",
                "figures": [
                    ("Active users", summary["active_users"]),
                    ("Owe two-factor enrolment", summary["awaiting_two_factor"]),
                    ("Locked out now", summary["locked"]),
                ],
                "links": [
                    ("Users", reverse("accounts:user-list")),
                    ("Add a user", reverse("accounts:user-create")),
                    ("Facilities, departments, roles", reverse("admin:index")),
                ],
            }
        )
    if policies.has_permission(user, Perm.VIEW_AUDIT, facility):
        day = audit_selectors.summary_since(timezone.now() - timedelta(hours=24))
        cards.append(
            {
                "title": "Audit, last 24 hours",
                "figures": [
                    ("Events", day["events"]),
                    ("Failed sign-ins", day["failed_sign_ins"]),
                    ("Refused requests", day["denied"]),
                ],
                "links": [
                    ("Search the trail", reverse("audit:search")),
                    (
                        "Failed sign-ins",
                        reverse("audit:search") + "?action=login_failed",
                    ),
                    ("Verify the chain", reverse("audit:verify")),
                ],
            }
        )
    return cards


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
            "cards": _cards(request),
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
