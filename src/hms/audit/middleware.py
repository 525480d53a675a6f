"""The audit trail's view of every request: the patients an answer showed, the objects
asked for that were not found, and the refusals the code did not already record."""

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

# Answers that show no patient data whatever the view read before refusing; a redirect
# (3xx) shows none either. Bad input (400, 409, 422) re-shows the form or the matches.
_SHOWS_NOTHING = {401, 403, 404, 405, 429}


class AuditMiddleware:
    """Writes, after the answer is built, the rows nothing else wrote for the request:

    - an answer that showed patients (noted while answering by the patient model as its
      rows load and by `record_patients_shown`): one read event naming all of them,
      for a success and for bad input (the form or the likely duplicates shown again);
    - a 404 from an address that names an object (an id of another facility's patient,
      or of nothing): the attempt, with what was asked for;
    - any other 4xx (bad input, 401, 403, 413, CSRF) the view or service that refused
      did not record itself.

    Addresses no pattern matches and methods a view does not take (404, 405) are noise
    from scanners, not attempts on data.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # DRF replaces request.user with AnonymousUser when its authentication raises (a
        # session API call without a CSRF token), so keep the session's user to name.
        session_user = getattr(request, "user", None)
        with context.collecting_patients_shown() as shown:
            response = self.get_response(request)
        status = response.status_code
        user = _signed_in(getattr(request, "user", None)) or _signed_in(session_user)
        audited_by_view = context.was_audited()
        if 200 <= status < 300 or (400 <= status < 500 and status not in _SHOWS_NOTHING):
            _record_shown(request, user, shown)
        if status == 404:
            if not audited_by_view:
                _record_not_found(request, user)
        elif 400 <= status < 500 and status != 405 and not audited_by_view:
            record_event(
                action=_ACTION_BY_METHOD.get(request.method or "", Action.READ),
                actor=user,
                object_type=_address(request),
                outcome=Outcome.DENIED if status in (401, 403, 429) else Outcome.FAILURE,
                reason=f"HTTP {status}: {_detail(response)}"[:500],
            )
        return response


def _signed_in(user):
    return user if user is not None and user.is_authenticated else None


def _address(request: HttpRequest) -> str:
    return f"{context.current().channel}:{request.path}"[:100]


def _record_shown(request: HttpRequest, user, shown: context.PatientsShown) -> None:
    patient_ids = shown.unaudited()
    if not patient_ids:
        return
    match = request.resolver_match
    record_event(
        action=Action.READ,
        actor=user,
        object_type=_address(request),
        object_id=_asked_for(match),
        patient_ids=patient_ids,
        reason=(", ".join(shown.what) or (match.view_name if match else ""))[:500],
    )


def _record_not_found(request: HttpRequest, user) -> None:
    match = request.resolver_match
    if (
        user is None
        or match is None
        or not match.captured_kwargs
        or getattr(match.func, "address_unknown", False)
    ):
        return
    asked = ", ".join(f"{name}={value}" for name, value in match.captured_kwargs.items())
    record_event(
        action=_ACTION_BY_METHOD.get(request.method or "", Action.READ),
        actor=user,
        object_type=_address(request),
        object_id=_asked_for(match),
        outcome=Outcome.NOT_FOUND,
        reason=f"HTTP 404: {match.view_name} {asked}"[:500],
    )


def _asked_for(match) -> str:
    """The object the address names (its first path parameter: a patient, an invoice)."""
    if match is None or not match.captured_kwargs:
        return ""
    return str(next(iter(match.captured_kwargs.values())))


def _detail(response: HttpResponse) -> str:
    data = getattr(response, "data", None)
    if isinstance(data, dict):
        if "detail" in data:
            return str(data["detail"])
        issues = data.get("issue")
        if issues:
            return str(issues[0].get("diagnostics", ""))
    return "request refused"
