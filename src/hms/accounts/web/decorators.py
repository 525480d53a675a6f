from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.audit.services import Action, Outcome, record_event


def permission_required(perm: Perm) -> Callable:
    """Let a page through only for users holding `perm` in their current facility.

    Anonymous users go to sign-in; others get a 403 page, and the refusal is audited.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not policies.has_permission(request.user, perm, request.facility):
                record_event(
                    action=Action.READ if request.method == "GET" else Action.UPDATE,
                    actor=request.user,
                    object_type=f"page:{request.path}"[:100],
                    outcome=Outcome.DENIED,
                    reason=f"needs {perm}",
                )
                return render(request, "web/403.html", {"needed": perm}, status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
