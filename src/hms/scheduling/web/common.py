"""Shared by the scheduling pages: finding the rows a URL names in the viewer's
facility (else 404, so ids of another facility cannot be probed), and putting a
service's refusal on the form field it names."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from hms.core.errors import DomainError
from hms.scheduling.models import Appointment, QueueTicket, Slot

# A service names what it refused; the form shows it on its own field of that name.
FIELD_ALIASES = {"appointment": None, "patient": None, "status": None}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def place_error(form: forms.Form, exc: DomainError) -> None:
    name = FIELD_ALIASES.get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def appointment_or_404(request: HttpRequest, external_id) -> Appointment:
    found = (
        Appointment.objects.select_related("patient__facility", "practitioner", "room", "facility")
        .filter(external_id=external_id, facility=request.facility)
        .first()
    )
    if found is None:
        raise Http404("No such appointment.")
    return found


def slot_in(request: HttpRequest, slot_id: int) -> Slot | None:
    return (
        Slot.objects.select_related("schedule", "practitioner", "room")
        .filter(pk=slot_id, schedule__facility=request.facility)
        .first()
    )


def ticket_or_404(request: HttpRequest, ticket_id: int) -> QueueTicket:
    found = (
        QueueTicket.objects.select_related(
            "department", "facility", "practitioner", "encounter__patient__facility"
        )
        .filter(pk=ticket_id, facility=request.facility)
        .first()
    )
    if found is None:
        raise Http404("No such ticket.")
    return found


def back_to(request: HttpRequest, value: str, default: str, **params) -> str:
    """Where to go after an action: the page it was sent from when that is a path of
    this site, else `default`; `params` replace those of its query string."""
    if not (
        value.startswith("/")
        and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()})
    ):
        value = default
    if not params:
        return value
    parts = urlsplit(value)
    query = {k: v for k, v in parse_qsl(parts.query) if k not in params}
    query.update({k: str(v) for k, v in params.items()})
    return urlunsplit(("", "", parts.path, urlencode(query), ""))
