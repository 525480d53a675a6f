"""The waiting-room screen: a public page per department for a TV, showing the ticket
numbers called (and where to go) and those still waiting. No sign-in, and no names
unless the installation asks for them (HMS_SCREEN_NAMES=initials: "Baraka M." beside
the number of a patient called): the screen hangs where every patient can read it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hms.core.models import Department
from hms.scheduling.models import QueueTicket
from hms.scheduling.times import zone_of

CALLED_SHOWN = 6  # the last calls stay on screen, newest first
POLL_SECONDS = 3


@require_GET
def waiting_room(request: HttpRequest, facility_code: str, department_code: str) -> HttpResponse:
    department = get_object_or_404(
        Department.objects.select_related("facility"),
        facility__code=facility_code,
        code=department_code,
        is_active=True,
    )
    today = timezone.localdate(timezone=zone_of(department.facility))
    tickets = QueueTicket.objects.filter(department=department, day=today)
    called = tickets.filter(status=QueueTicket.Status.CALLED).order_by("-called_at")
    named = settings.HMS_SCREEN_NAMES == "initials"
    if named:
        called = called.select_related("encounter__patient")
    waiting = tickets.filter(status=QueueTicket.Status.WAITING).order_by("-priority", "issued_at")
    context = {
        "department": department,
        "called": [
            (_label(department, t.number), t.called_to, _initials(t) if named else "")
            for t in called[:CALLED_SHOWN]
        ],
        "waiting": [_label(department, t.number) for t in waiting],
        "poll_seconds": POLL_SECONDS,
        # Formatted here: a template would show it in the active zone, not the facility's.
        "clock": f"{timezone.localtime(timezone=zone_of(department.facility)):%H:%M}",
    }
    # htmx asks for the board alone every few seconds; a browser gets the whole page.
    template = "scheduling/waiting_room.html"
    if request.headers.get("HX-Request") == "true":
        template += "#board"
    return render(request, template, context)


def _label(department: Department, number: int) -> str:
    return f"{department.code}-{number:03d}"


def _initials(ticket: QueueTicket) -> str:
    patient = ticket.encounter.patient
    family = patient.family_name[:1]
    return (
        f"{patient.preferred_name or patient.given_name} {family}."
        if family
        else patient.given_name
    )
