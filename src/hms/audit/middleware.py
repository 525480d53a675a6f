"""The catch-all that records every refused request the code did not already record."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hms.audit.services import Action, Outcome, record_event
from hms.core import context

_ACTION_BY_METHOD = {
    "GET": Action.READ,
    "HEAD": Action.READ,
    "OPTIONS": Action.READ,
    "POST": Action.CREATE,
    "PUT": Action.UPDATE,
    "PATCH": Action.UPDATE,
    "DELETE": Action.DELETE,
}
# Unknown addresses and methods are noise from scanners, not attempts on data.
_NOT_RECORDED = {404, 405}


class AuditRefusalsMiddleware:
    """Writes an audit row for a 4xx answer (bad input, 401, 403, 413, CSRF) when the
    view or service that refused did not write one itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # DRF replaces request.user with AnonymousUser when its authentication raises (a
        # session API call without a CSRF token), so keep the session's user to name.
        session_user = getattr(request, "user", None)
        response = self.get_response(request)
        status = response.status_code
        if 400 <= status < 500 and status not in _NOT_RECORDED and not context.was_audited():
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                user = session_user
            record_event(
                action=_ACTION_BY_METHOD.get(request.method or "", Action.READ),
                actor=user if user is not None and user.is_authenticated else None,
                object_type=f"{context.current().channel}:{request.path}"[:100],
                outcome=Outcome.DENIED if status in (401, 403, 429) else Outcome.FAILURE,
                reason=f"HTTP {status}: {_detail(response)}"[:500],
            )
        return response


def _detail(response: HttpResponse) -> str:
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        if "detail" in data:
            return str(data["detail"])
        issues = data.get("issue")
        if issues:
            return str(issues[0].get("diagnostics", ""))
    return "request refused"
