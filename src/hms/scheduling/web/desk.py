"""The check-in desk: today's appointments of a department with one-action check-in,
walk-ins from the patient page, and the printable token slip."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError
from hms.patients.web import registration
from hms.patients.web.lookup import patient_or_404
from hms.scheduling import queue, times
from hms.scheduling.models import QueueTicket
from hms.scheduling.web import reads
from hms.scheduling.web.common import ticket_or_404
from hms.scheduling.web.forms import WalkInForm

# The department the desk last worked for, so every page starts there.
DESK_KEY = "hms_desk_department"


def desk_department(request: HttpRequest, code: str = ""):
    """The department named, else the one the desk works for; remembered."""
    own = reads.own_practitioner(request.user, request.facility)
    department = reads.default_department(
        request.facility, code or request.session.get(DESK_KEY, ""), own
    )
    if department is not None and code and department.code == code:
        request.session[DESK_KEY] = department.code
    return department


def issued_ticket(request: HttpRequest) -> QueueTicket | None:
    """The ticket just issued (?issued=<id>), shown with its slip link after a check-in."""
    value = request.GET.get("issued", "")
    if not value.isdigit() or len(value) > 18:
        return None
    return (
        QueueTicket.objects.select_related("department", "encounter__patient")
        .filter(pk=int(value), facility=request.facility)
        .first()
    )


@never_cache
@require_GET
@permission_required(Perm.CHECK_IN)
def desk(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("department", "")[:20]
    department = desk_department(request, code)
    status = 200
    if code and (department is None or department.code != code):
        messages.error(request, "No such department here; showing the desk's own.")
        status = 400
    context = {
        "department": department,
        "departments": reads.queue_departments(request.facility),
        "issued": issued_ticket(request),
        "here": request.get_full_path(),
        "prefix": reverse("appointments:calendar"),
        "patients_prefix": reverse("patients:search"),
        "can_check_in": True,
        "can_book": policies.has_permission(request.user, Perm.BOOK_APPOINTMENT, request.facility),
    }
    if department is not None:
        day = timezone.localdate(timezone=times.zone_of(request.facility))
        start, end = reads.day_bounds(request.facility, day)
        scope = reads.department_scope(department)
        context["appointments"] = reads.booked_between(request.facility, scope, start, end)
        tickets = reads.todays_tickets(department)
        context["waiting"] = [t for t in tickets if t.status == QueueTicket.Status.WAITING]
        context["called"] = [t for t in tickets if t.status == QueueTicket.Status.CALLED]
    return render(request, "scheduling/desk.html", context, status=status)


@require_POST
@permission_required(Perm.CHECK_IN)
def walk_in(request: HttpRequest, external_id) -> HttpResponse:
    """A patient without an appointment joins a department's queue (the desk's by
    default); the slip opens, ready to print."""
    patient = patient_or_404(request, external_id)
    form = WalkInForm(request.POST)
    detail = reverse("patients:patient-detail", args=[patient.external_id])
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect(detail)
    code = form.cleaned_data["department"]
    department = desk_department(request, code)
    if department is None or (code and department.code != code):
        messages.error(request, "Department: no such department here.")
        return redirect(detail)
    try:
        ticket = queue.walk_in(
            actor=request.user,
            patient=patient,
            department=department,
            priority=form.cleaned_data["priority"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(detail)
    return redirect("queue:ticket-slip", ticket_id=ticket.pk)


@never_cache
@require_POST
@permission_required(Perm.CHECK_IN)
def register_walk_in(request: HttpRequest) -> HttpResponse:
    """The walk-in form's "Register and check in": the new patient registered and in the
    desk's queue, the slip open, ready to print; refusals back on the form."""
    form, matches = registration.quick_form(request), []
    if form.is_valid():
        ticket, matches = registration.register_walk_in_with(
            request, form, queue.register_and_check_in, department=desk_department(request)
        )
        if ticket:
            patient = ticket.encounter.patient
            messages.success(
                request,
                _("Registered %(name)s: MRN %(mrn)s. Checked in: ticket %(ticket)s.")
                % {"name": patient.full_name, "mrn": patient.mrn, "ticket": ticket.label},
            )
            return redirect("queue:ticket-slip", ticket_id=ticket.pk)
    return registration.walk_in_page(request, form, matches)


def _first_error(form) -> str:
    name, errors = next(iter(form.errors.items()))
    return f"{name.replace('_', ' ').capitalize()}: {errors[0]}"


@never_cache
@require_GET
@permission_required(Perm.CHECK_IN)
def slip(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    context = {
        "ticket": ticket,
        "patient": ticket.encounter.patient,
        "ahead": reads.waiting_ahead(ticket),
        "screen": reverse(
            "queue:waiting-room", args=[ticket.facility.code, ticket.department.code]
        ),
    }
    return render(request, "scheduling/slip.html", context)
