"""The doctor's worklist: today's queue for the signed-in practitioner (or a chosen
one), with waiting times, "Call next" to their room, "Finish", and "Left without
being seen". The list refreshes itself while it is open."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError
from hms.scheduling import queue
from hms.scheduling.models import QueueTicket
from hms.scheduling.web import reads
from hms.scheduling.web.common import back_to, is_htmx, ticket_or_404
from hms.scheduling.web.forms import CallNextForm
from hms.staff.models import Practitioner

TEMPLATE = "scheduling/worklist.html"
POLL_SECONDS = 15


def _doctor(request: HttpRequest, value: str) -> Practitioner | None:
    """The practitioner named by external id in the viewer's facility; none named:
    the viewer's own record."""
    if not value:
        return reads.own_practitioner(request.user, request.facility)
    try:
        key = uuid.UUID(value)
    except ValueError:
        return None
    return (
        Practitioner.objects.filter(facility=request.facility, external_id=key)
        .select_related("department", "facility")
        .first()
    )


def _url(doctor: Practitioner | None) -> str:
    url = reverse("queue:worklist")
    return f"{url}?doctor={doctor.external_id}" if doctor else url


@never_cache
@require_GET
@permission_required(Perm.RUN_CLINIC)
def worklist(request: HttpRequest) -> HttpResponse:
    asked = request.GET.get("doctor", "")[:60]
    doctor = _doctor(request, asked)
    status = 400 if asked and doctor is None else 200
    doctors, _ = reads.doctors_and_rooms(request.facility)
    context = {
        "doctor": doctor,
        "doctors": doctors,
        "asked": asked,
        "poll_seconds": POLL_SECONDS,
        "here": _url(doctor),
    }
    if doctor is not None and doctor.department is not None:
        context.update(_queue(doctor))
        context["called_to"] = reads.room_today(doctor)
    template = f"{TEMPLATE}#queue" if is_htmx(request) else TEMPLATE
    return render(request, template, context, status=status)


def _queue(doctor: Practitioner) -> dict:
    now = timezone.now()
    mine, seen = [], 0
    called = []
    for ticket in reads.todays_tickets(doctor.department):
        for_me = ticket.practitioner_id in (None, doctor.pk)
        if ticket.status == QueueTicket.Status.WAITING and for_me:
            mine.append((ticket, int((now - ticket.issued_at).total_seconds() // 60)))
        elif ticket.status == QueueTicket.Status.CALLED and ticket.called_by_id == doctor.pk:
            called.append((ticket, int((now - ticket.called_at).total_seconds() // 60)))
        elif ticket.status == QueueTicket.Status.DONE and ticket.called_by_id == doctor.pk:
            seen += 1
    return {"waiting": mine, "called": called, "seen": seen}


@require_POST
@permission_required(Perm.RUN_CLINIC)
def call_next(request: HttpRequest) -> HttpResponse:
    doctor = _doctor(request, request.POST.get("doctor", "")[:60])
    if doctor is None or doctor.department is None:
        messages.error(request, "Doctor: choose one who works in a department.")
        return redirect(_url(doctor))
    form = CallNextForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Call to: {form.errors['called_to'][0]}")
        return redirect(_url(doctor))
    try:
        ticket = queue.call_next(
            actor=request.user,
            practitioner=doctor,
            department=doctor.department,
            called_to=form.cleaned_data["called_to"] or reads.room_today(doctor),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_url(doctor))
    if ticket is None:
        messages.info(request, "Nobody is waiting.")
    else:
        patient = ticket.encounter.patient
        where = f" to {ticket.called_to}" if ticket.called_to else ""
        messages.success(request, f"Called {ticket.label}, {patient.full_name}{where}.")
    return redirect(_url(doctor))


@require_POST
@permission_required(Perm.CHECK_IN)
def finish(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """End the visit: seen, or (left=1) left without being seen. The front desk may
    record one who left; the service asks RUN_CLINIC to finish a consultation."""
    ticket = ticket_or_404(request, ticket_id)
    left = request.POST.get("left", "") == "1"
    back = back_to(request, request.POST.get("back", "")[:500], reverse("queue:worklist"))
    try:
        queue.finish(actor=request.user, ticket=ticket, left=left)
    except DomainError as exc:
        messages.error(request, f"{ticket.label}: {exc.message}")
    else:
        done = "left without being seen" if left else "seen"
        messages.success(request, f"{ticket.label} {done}.")
    return redirect(back)
