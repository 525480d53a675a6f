"""What a booked row offers: check in (one action, the token issued), cancel with a
reason, reschedule to another free slot. Each answers by going back to the page it
came from."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError, NotFound
from hms.encounters.errors import OpenVisit
from hms.scheduling import queue, selectors, services, times
from hms.scheduling.errors import SlotTaken
from hms.scheduling.web.common import appointment_or_404, back_to, place_error, slot_in
from hms.scheduling.web.forms import CancelForm, CheckInForm, RescheduleForm, SlotsForm

SLOTS_OFFERED = 10


def _calendar_of(appointment) -> str:
    day = timezone.localtime(appointment.starts_at, times.zone_of(appointment.facility)).date()
    return (
        reverse("appointments:calendar")
        + f"?show=doctor:{appointment.practitioner.external_id}&date={day.isoformat()}"
    )


def _when(appointment) -> str:
    local = timezone.localtime(appointment.starts_at, times.zone_of(appointment.facility))
    return f"{local:%a %d %b %H:%M}"


@require_POST
@permission_required(Perm.CHECK_IN)
def check_in(request: HttpRequest, external_id) -> HttpResponse:
    """Check the patient in and issue the queue token; the page it came from shows the
    ticket with a link to print its slip."""
    appointment = appointment_or_404(request, external_id)
    form = CheckInForm(request.POST)
    fallback = reverse("queue:desk")
    if not form.is_valid():
        messages.error(request, "Priority: choose one from the list.")
        return redirect(back_to(request, request.POST.get("back", "")[:500], fallback))
    back = form.cleaned_data["back"]
    try:
        ticket = queue.check_in(
            actor=request.user,
            appointment=appointment,
            priority=form.cleaned_data["priority"],
            attach_to_open_visit=form.cleaned_data["attach_to_open_visit"],
        )
    except OpenVisit as exc:
        # Asked, not guessed: the clerk sees the visit already open and chooses.
        context = {
            "appointment": appointment,
            "message": exc.message,
            "ticket": getattr(exc.encounter, "ticket", None),
            "priority": form.cleaned_data["priority"],
            "back": back_to(request, back, fallback),
        }
        return render(request, "scheduling/attach_visit.html", context, status=409)
    except DomainError as exc:
        messages.error(request, f"{appointment.patient.full_name}: {exc.message}")
        return redirect(back_to(request, back, fallback))
    messages.success(request, f"Checked in {appointment.patient.full_name}: ticket {ticket.label}.")
    return redirect(back_to(request, back, fallback, issued=ticket.pk))


@never_cache
@permission_required(Perm.BOOK_APPOINTMENT)
def cancel(request: HttpRequest, external_id) -> HttpResponse:
    appointment = appointment_or_404(request, external_id)
    back = back_to(request, request.GET.get("back", request.POST.get("back", ""))[:500], "")
    back = back or _calendar_of(appointment)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.cancel_appointment(
                actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            place_error(form, exc)
        else:
            messages.success(
                request, f"Cancelled {appointment.patient.full_name}'s {_when(appointment)}."
            )
            return redirect(back)
    context = {"appointment": appointment, "form": form, "back": back}
    status = 400 if form.errors else 200
    return render(request, "scheduling/cancel.html", context, status=status)


def _offered(request, appointment, from_date: dt.date | None) -> list:
    after = None
    if from_date is not None:
        after = max(
            timezone.now(), times.at(from_date, dt.time(0), times.zone_of(request.facility))
        )
    return selectors.next_free_slots(
        facility=request.facility,
        practitioner_id=appointment.practitioner_id,
        after=after,
        limit=SLOTS_OFFERED,
    )


@never_cache
@permission_required(Perm.BOOK_APPOINTMENT)
def reschedule(request: HttpRequest, external_id) -> HttpResponse:
    """Move the appointment to another free slot of the same doctor; "Not before"
    looks further ahead."""
    appointment = appointment_or_404(request, external_id)
    back = back_to(request, request.GET.get("back", request.POST.get("back", ""))[:500], "")
    back = back or _calendar_of(appointment)
    looking = SlotsForm(request.GET)
    from_date = looking.cleaned_data["from_date"] if looking.is_valid() else None
    form = RescheduleForm(request.POST if request.method == "POST" else None)
    slots, status = None, 200
    if form.is_valid():
        moved, slots, status = _move(request, appointment, form)
        if moved is not None:
            messages.success(
                request,
                f"Moved {appointment.patient.full_name} from {_when(appointment)} to "
                f"{_when(moved)}.",
            )
            return redirect(back)
    elif form.is_bound:
        status = 400
    if slots is None:
        slots = _offered(request, appointment, from_date)
    chosen = form.data.get("slot") if form.is_bound else None
    if not any(str(s.pk) == chosen for s in slots):
        chosen = str(slots[0].pk) if slots else ""
    context = {
        "appointment": appointment,
        "form": form,
        "looking": looking,
        "slots": slots,
        "chosen": chosen,
        "back": back,
    }
    return render(request, "scheduling/reschedule.html", context, status=status)


def _move(request, appointment, form):
    """(the new appointment or None, the slots to offer or None, the status)."""
    slot = slot_in(request, form.cleaned_data["slot"])
    if slot is None:
        form.add_error("slot", "That slot is not offered here; choose another.")
        return None, None, 400
    try:
        moved = services.reschedule_appointment(
            actor=request.user,
            appointment=appointment,
            slot=slot,
            reason=form.cleaned_data["reason"],
        )
    except SlotTaken as exc:
        form.add_error("slot", exc.message)
        return None, exc.next_free, 409
    except DomainError as exc:
        place_error(form, exc)
        return None, None, 400 if isinstance(exc, NotFound) else exc.status
    return moved, None, 201
