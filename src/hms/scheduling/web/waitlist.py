"""The waitlist pages: put a patient on it from the booking page, and the list where
the desk books an offered slot, lets it pass to the next patient, or takes someone
off. Each action is one service call."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError
from hms.patients.web.lookup import patient_or_404
from hms.scheduling import selectors, times, waitlist
from hms.scheduling.models import WaitlistEntry
from hms.scheduling.web.forms import ReasonForm, WaitlistForm, parse_choice
from hms.staff.models import Practitioner, Specialty


@never_cache
@permission_required(Perm.VIEW_SCHEDULE)
def waitlist_page(request: HttpRequest) -> HttpResponse:
    entries = selectors.waitlist(viewer=request.user, facility=request.facility)
    zone = times.zone_of(request.facility)
    for entry in entries:
        entry.offered_at_local = (
            timezone.localtime(entry.offered_slot.starts_at, zone) if entry.offered_slot else None
        )
    return render(request, "scheduling/waitlist.html", {"entries": entries})


@require_POST
@permission_required(Perm.BOOK_APPOINTMENT)
def add(request: HttpRequest, external_id) -> HttpResponse:
    """From the booking page: wait for the doctor or specialty chosen there."""
    patient = patient_or_404(request, external_id)
    form = WaitlistForm(request.POST)
    back = redirect("appointments:book", external_id=patient.external_id)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return back
    kind, key = parse_choice(form.cleaned_data["choice"])
    whom = {}
    if kind == "p":
        whom["practitioner"] = Practitioner.objects.filter(
            facility=request.facility, external_id=key
        ).first()
    elif kind == "s":
        whom["specialty"] = Specialty.objects.filter(code=key).first()
    try:
        waitlist.add_to_waitlist(
            actor=request.user,
            patient=patient,
            earliest=form.cleaned_data["from_date"],
            latest=form.cleaned_data["latest"],
            note=form.cleaned_data["reason"],
            **whom,
        )
    except DomainError as exc:
        messages.error(request, f"Not added to the waitlist: {exc.message}")
        return back
    messages.success(request, f"{patient.full_name} is on the waitlist.")
    return redirect("patients:patient-detail", external_id=patient.external_id)


def _first_error(form) -> str:
    name, errors = next(iter(form.errors.items()))
    label = form.fields[name].label if name in form.fields else ""
    return f"{label or name.title()}: {errors[0]}"


def _entry(request: HttpRequest, external_id) -> WaitlistEntry:
    found = (
        WaitlistEntry.objects.select_related("patient__facility")
        .filter(external_id=external_id, facility=request.facility)
        .first()
    )
    if found is None:
        raise Http404("No such waitlist entry.")
    return found


@require_POST
@permission_required(Perm.BOOK_APPOINTMENT)
def accept(request: HttpRequest, external_id) -> HttpResponse:
    entry = _entry(request, external_id)
    try:
        appointment = waitlist.accept_offer(actor=request.user, entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        local = timezone.localtime(appointment.starts_at, times.zone_of(request.facility))
        messages.success(request, f"Booked {entry.patient.full_name}: {local:%a %d %b %Y %H:%M}.")
    return redirect("appointments:waitlist")


@require_POST
@permission_required(Perm.BOOK_APPOINTMENT)
def decline(request: HttpRequest, external_id) -> HttpResponse:
    entry = _entry(request, external_id)
    try:
        following = waitlist.decline_offer(actor=request.user, entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        passed = f" and offered to {following.patient.full_name}" if following else ""
        messages.success(request, f"The slot was let pass{passed}.")
    return redirect("appointments:waitlist")


@require_POST
@permission_required(Perm.BOOK_APPOINTMENT)
def remove(request: HttpRequest, external_id) -> HttpResponse:
    entry = _entry(request, external_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("appointments:waitlist")
    try:
        waitlist.remove_from_waitlist(
            actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{entry.patient.full_name} is off the waitlist.")
    return redirect("appointments:waitlist")
