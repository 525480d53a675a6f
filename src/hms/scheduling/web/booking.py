"""Booking from the patient page: a doctor or specialty found as you type, the first
free slot chosen, the next ones offered, one Book button (UX.md: at most 4 actions)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError, NotFound
from hms.patients import services as patients
from hms.patients.models import Patient
from hms.patients.web.lookup import patient_or_404
from hms.scheduling import selectors, services, times
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import AppointmentKind, Slot
from hms.scheduling.web import reads
from hms.scheduling.web.common import place_error, slot_in
from hms.scheduling.web.forms import BookingForm, SlotsForm, parse_choice
from hms.staff.models import Specialty
from hms.staff.selectors import search_practitioners

TEMPLATE = "scheduling/book.html"
SLOTS_OFFERED = 10
MATCHES_SHOWN = 6


@dataclass(frozen=True)
class Option:
    value: str  # "p:<uuid>", "s:<code>" or "" (any doctor)
    label: str
    hint: str = ""


def options_for(request: HttpRequest, patient: Patient, query: str) -> list[Option]:
    """What the typed text matches: doctors by name, then specialties by name. With
    nothing typed: the patient's last doctor, and any doctor."""
    query = query.strip()[:100]
    if not query:
        last = reads.last_practitioner(patient)
        found = [Option(f"p:{last.external_id}", last.display_name, "last seen")] if last else []
        return [*found, Option("", "Any doctor", "earliest free slot")]
    try:
        doctors = search_practitioners(
            viewer=request.user, facility=request.facility, q=query, limit=MATCHES_SHOWN
        )
    except DomainError:
        doctors = []
    found = [
        Option(
            f"p:{d.external_id}",
            d.display_name,
            ", ".join(s.name for s in d.specialties.all())
            or (d.department.name if d.department else ""),
        )
        for d in doctors
    ]
    specialties = Specialty.objects.filter(name__icontains=query).order_by("name")[:3]
    found += [Option(f"s:{s.code}", s.name, "any doctor of the specialty") for s in specialties]
    return found


def slots_for(request: HttpRequest, choice: str, from_date: dt.date | None) -> list[Slot]:
    """The next free slots of the choice, from the start of `from_date` (or now)."""
    kind, key = parse_choice(choice)
    facility = request.facility
    after = None
    if from_date is not None:
        after = times.at(from_date, dt.time(0), times.zone_of(facility))
        after = max(after, timezone.now())
    whom = {}
    if kind == "p":
        whom["practitioner"] = uuid.UUID(key)
    elif kind == "s":
        whom["specialty"] = key
    return selectors.next_free_slots(facility=facility, after=after, limit=SLOTS_OFFERED, **whom)


def _default_kind(patient: Patient) -> str:
    return AppointmentKind.FOLLOW_UP if reads.has_been_seen(patient) else AppointmentKind.NEW


def _page(request, patient, form, *, who="", choice=None, slots=None, status=200):
    options = options_for(request, patient, who)
    if choice is None:
        choice = options[0].value if options else ""
    if slots is None:
        try:
            slots = slots_for(request, choice, _from_date(form))
        except forms.ValidationError:
            slots = []
    chosen = form.data.get("slot") if form.is_bound else None
    if not any(str(s.pk) == chosen for s in slots):
        chosen = str(slots[0].pk) if slots else ""
    context = {
        "patient": patient,
        "form": form,
        "who": who[:100],
        "options": options,
        "choice": choice,
        "slots": slots,
        "chosen": chosen,
        "history": selectors.no_show_history(patient),
    }
    return render(request, TEMPLATE, context, status=status)


def _from_date(form) -> dt.date | None:
    if form.is_bound:
        return form.cleaned_data.get("from_date") if hasattr(form, "cleaned_data") else None
    return None


@never_cache
@permission_required(Perm.BOOK_APPOINTMENT)
def book(request: HttpRequest, external_id) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    if request.method != "POST":
        patients.record_patient_read(actor=request.user, patient=patient, what="booking page")
        return _page(request, patient, BookingForm(initial={"kind": _default_kind(patient)}))
    form = BookingForm(request.POST)
    who = request.POST.get("who", "")
    choice = request.POST.get("choice", "") if "choice" not in form.errors else ""
    if not form.is_valid():
        return _page(request, patient, form, who=who, choice=choice, status=400)
    slot = slot_in(request, form.cleaned_data["slot"])
    if slot is None:
        form.add_error("slot", "That slot is not offered here; choose another.")
        return _page(request, patient, form, who=who, choice=choice, status=400)
    try:
        appointment = services.book_appointment(
            actor=request.user,
            patient=patient,
            slot=slot,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
        )
    except SlotTaken as exc:
        form.add_error("slot", exc.message)
        return _page(
            request, patient, form, who=who, choice=choice, slots=exc.next_free, status=409
        )
    except DomainError as exc:
        place_error(form, exc)
        status = 400 if isinstance(exc, NotFound) else exc.status
        return _page(request, patient, form, who=who, choice=choice, status=status)
    local = timezone.localtime(appointment.starts_at, times.zone_of(request.facility))
    where = f", {slot.room.name}" if slot.room else ""
    messages.success(
        request,
        f"Booked {patient.full_name}: {local:%a %d %b %Y %H:%M} with "
        f"{slot.practitioner.display_name}{where}.",
    )
    return redirect("patients:patient-detail", external_id=patient.external_id)


@never_cache
@require_GET
@permission_required(Perm.BOOK_APPOINTMENT)
def options(request: HttpRequest, external_id) -> HttpResponse:
    """The matches of what was typed, the first chosen, with its free slots."""
    patient = patient_or_404(request, external_id)
    who = request.GET.get("who", "")[:100]
    found = options_for(request, patient, who)
    choice = found[0].value if found else None
    slots = slots_for(request, choice, None) if choice is not None else []
    context = {
        "patient": patient,
        "who": who,
        "options": found,
        "choice": choice,
        "slots": slots,
        "chosen": str(slots[0].pk) if slots else "",
    }
    return render(request, f"{TEMPLATE}#options", context)


@never_cache
@require_GET
@permission_required(Perm.BOOK_APPOINTMENT)
def slot_choices(request: HttpRequest, external_id) -> HttpResponse:
    """The free slots of one choice from a day: the list under the matches."""
    patient = patient_or_404(request, external_id)
    form = SlotsForm(request.GET)
    if not form.is_valid():
        context = {"patient": patient, "slots": [], "slot_errors": _errors(form)}
        return render(request, f"{TEMPLATE}#slots", context, status=400)
    slots = slots_for(request, form.cleaned_data["choice"], form.cleaned_data["from_date"])
    context = {"patient": patient, "slots": slots, "chosen": str(slots[0].pk) if slots else ""}
    return render(request, f"{TEMPLATE}#slots", context)


def _errors(form: forms.Form) -> list[str]:
    return [f"{form.fields[name].label or name.title()}: {e[0]}" for name, e in form.errors.items()]
