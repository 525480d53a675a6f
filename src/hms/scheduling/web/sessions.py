"""The sessions page of a practitioner, for whoever manages schedules: their weekly
sessions, a form to add one (its slots are made up to the horizon) and a form to take
time away (leave, a theatre day), which lists the bookings to move."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError
from hms.scheduling import selectors, services, times
from hms.scheduling.models import Room
from hms.scheduling.web.common import place_error
from hms.scheduling.web.session_forms import BlockForm, SessionForm
from hms.staff.models import Practitioner

TEMPLATE = "scheduling/sessions.html"


def _doctor(request: HttpRequest) -> Practitioner | None:
    """The practitioner named by ?doctor= (the first of the facility without it)."""
    doctors = Practitioner.objects.filter(facility=request.facility, is_active=True)
    key = request.GET.get("doctor", "")
    if not key:
        return doctors.first()
    try:
        return doctors.filter(external_id=uuid.UUID(key[:40])).first()
    except ValueError:
        return None


def _page(request, doctor, session_form, block_form, status=200, to_move=()):
    facility = request.facility
    context = {
        "doctors": Practitioner.objects.filter(facility=facility, is_active=True),
        "doctor": doctor,
        "sessions": selectors.schedules(
            viewer=request.user, facility=facility, practitioner=doctor.external_id
        )
        if doctor
        else [],
        "session_form": session_form,
        "block_form": block_form,
        "to_move": to_move,
    }
    return render(request, TEMPLATE, context, status=status)


def _rooms(request) -> list[Room]:
    return selectors.rooms(viewer=request.user, facility=request.facility)


@never_cache
@permission_required(Perm.MANAGE_SCHEDULES)
def sessions(request: HttpRequest) -> HttpResponse:
    doctor = _doctor(request)
    today = timezone.localdate(timezone=times.zone_of(request.facility))
    session_form = SessionForm(rooms=_rooms(request), initial={"valid_from": today})
    if request.method != "POST" or doctor is None:
        return _page(request, doctor, session_form, BlockForm())
    if request.POST.get("form") == "block":
        return _block(request, doctor, session_form)
    return _session(request, doctor)


def _session(request, doctor):
    form = SessionForm(request.POST, rooms=_rooms(request))
    if not form.is_valid():
        return _page(request, doctor, form, BlockForm(), status=400)
    data = form.cleaned_data
    room = Room.objects.filter(facility=request.facility, code=data["room"]).first()
    breaks = [(data["break_from"], data["break_to"])] if data.get("break_from") else []
    try:
        services.add_schedule(
            actor=request.user,
            practitioner=doctor,
            room=room,
            weekday=data["weekday"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            slot_minutes=data["slot_minutes"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            kind=data["kind"],
            capacity=data["capacity"],
            emergency_slots=data["emergency_slots"],
            breaks=breaks,
            double_book_no_shows=data["double_book_no_shows"],
        )
    except DomainError as exc:
        place_error(form, exc)
        return _page(request, doctor, form, BlockForm(), status=exc.status)
    messages.success(request, f"Session added for {doctor.display_name}; its slots are open.")
    return redirect(f"{request.path}?doctor={doctor.external_id}")


def _block(request, doctor, session_form):
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _page(request, doctor, session_form, form, status=400)
    zone = times.zone_of(request.facility)
    data = form.cleaned_data
    try:
        _, affected = services.add_block(
            actor=request.user,
            facility=request.facility,
            kind=data["kind"],
            starts_at=_aware(data["starts_at"], zone),
            ends_at=_aware(data["ends_at"], zone),
            reason=data["reason"],
            practitioner=doctor,
        )
    except DomainError as exc:
        place_error(form, exc)
        return _page(request, doctor, session_form, form, status=exc.status)
    messages.success(
        request,
        f"Time blocked for {doctor.display_name}; {len(affected)} booking"
        f"{'' if len(affected) == 1 else 's'} to move.",
    )
    return _page(request, doctor, session_form, BlockForm(), to_move=affected)


def _aware(value: dt.datetime, zone) -> dt.datetime:
    """A time typed on the page is the facility's wall-clock time."""
    if timezone.is_aware(value):
        return value
    return times.at(value.date(), value.time(), zone)
