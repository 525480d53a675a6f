"""Audit rows for requests the API refused (401, 403, 4xx on bad input)."""

from __future__ import annotations

from hms.audit.services import Action, Outcome, record_event

_ACTION_BY_METHOD = {
    "GET": Action.READ,
    "HEAD": Action.READ,
    "OPTIONS": Action.READ,
    "POST": Action.CREATE,
    "PUT": Action.UPDATE,
    "PATCH": Action.UPDATE,
    "DELETE": Action.DELETE,
}


def audit_refused_api_request(request, status_code: int, reason: str) -> None:
    if getattr(request._request, "hms_audited", False):
        return
    user = getattr(request._request, "user", None)
    if user is None or not user.is_authenticated:
        user = None
        try:
            user = request.user if request.user.is_authenticated else None
        except Exception:  # noqa: BLE001 - authentication itself failed
            user = None
    record_event(
        action=_ACTION_BY_METHOD.get(request.method, Action.READ),
        actor=user,
        object_type=f"api:{request.path}"[:100],
        outcome=Outcome.DENIED if status_code in (401, 403) else Outcome.FAILURE,
        reason=f"HTTP {status_code}: {reason}",
    )
