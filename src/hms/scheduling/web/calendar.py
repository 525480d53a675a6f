"""Day and week views of a doctor's, a department's or a room's schedule: the slots
with their appointments, driven from the keyboard, with check-in, cancel and
reschedule on each booked row."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.models import Department
from hms.scheduling import times
from hms.scheduling.models import Room
from hms.scheduling.web import reads
from hms.scheduling.web.day_rows import RowLinks, day_rows
from hms.scheduling.web.desk import DESK_KEY, issued_ticket
from hms.scheduling.web.forms import CalendarForm
from hms.staff.models import Practitioner

TEMPLATE = "scheduling/calendar.html"


def resolve_scope(request: HttpRequest, kind: str, key: str) -> reads.Scope | None:
    """The scope a URL names in the viewer's facility; None when there is no such one."""
    facility = request.facility
    if kind == "doctor":
        found = (
            Practitioner.objects.filter(facility=facility, external_id=key)
            .select_related("department")
            .first()
        )
        return reads.doctor_scope(found) if found else None
    if kind == "department":
        department = Department.objects.filter(facility=facility, code=key, is_active=True).first()
        return reads.department_scope(department) if department else None
    if kind == "room":
        room = Room.objects.filter(facility=facility, code=key).select_related("department").first()
        return reads.room_scope(room) if room else None
    return None


def default_scope(request: HttpRequest) -> reads.Scope | None:
    """The signed-in doctor's own day; else the desk's department."""
    own = reads.own_practitioner(request.user, request.facility)
    if own is not None:
        return reads.doctor_scope(own)
    department = reads.default_department(request.facility, request.session.get(DESK_KEY, ""), None)
    return reads.department_scope(department) if department else None


def _url(scope: reads.Scope | None, day: dt.date, span: str) -> str:
    query = {"date": day.isoformat(), "span": span}
    if scope is not None:
        query = {"show": scope.value, **query}
    return reverse("appointments:calendar") + "?" + urlencode(query)


@never_cache
@require_GET
@permission_required(Perm.VIEW_SCHEDULE)
def calendar(request: HttpRequest) -> HttpResponse:
    form = CalendarForm(request.GET)
    facility = request.facility
    today = timezone.localdate(timezone=times.zone_of(facility))
    if not form.is_valid():
        context = {"form": form, "today": today, "span": "day", **_choices(request)}
        return render(request, TEMPLATE, context, status=400)
    kind, key = form.cleaned_data["show"]
    scope = resolve_scope(request, kind, key) if kind else default_scope(request)
    if kind and scope is None:
        form.add_error("show", "No such department, doctor or room here.")
        context = {"form": form, "today": today, "span": "day", **_choices(request)}
        return render(request, TEMPLATE, context, status=400)
    day = form.cleaned_data["date"] or today
    span = form.cleaned_data["span"] or "day"
    return render(request, TEMPLATE, _context(request, form, scope, day, span, today))


def _context(request, form, scope, day, span, today) -> dict:
    step = dt.timedelta(days=7 if span == "week" else 1)
    first = day - dt.timedelta(days=day.weekday()) if span == "week" else day
    user, facility = request.user, request.facility
    context = {
        "form": form,
        "scope": scope,
        "day": day,
        "first": first,
        "last": first + dt.timedelta(days=6),
        "span": span,
        "today": today,
        "is_today": day == today,
        "previous_url": _url(scope, day - step, span),
        "next_url": _url(scope, day + step, span),
        "today_url": _url(scope, today, span),
        "toggle_url": _url(scope, day, "day" if span == "week" else "week"),
        "here": request.get_full_path(),
        "prefix": reverse("appointments:calendar"),
        "patients_prefix": reverse("patients:search"),
        "slip_prefix": reverse("queue:ticket-slip", args=[0]).removesuffix("0/slip/"),
        "can_check_in": policies.has_permission(user, Perm.CHECK_IN, facility),
        "can_book": policies.has_permission(user, Perm.BOOK_APPOINTMENT, facility),
        "issued": issued_ticket(request),
        **_choices(request),
    }
    if scope is None:
        return context
    if span == "day":
        links = RowLinks(
            appointments=context["prefix"],
            patients=context["patients_prefix"],
            slips=context["slip_prefix"],
            can_check_in=context["can_check_in"] and day == today,
            can_book=context["can_book"],
        )
        context["doctors"] = [
            (doctor, day_rows(doctor, links)) for doctor in reads.day_schedule(facility, scope, day)
        ]
    elif scope.kind == "department":
        context["week_rows"] = reads.week_summary(facility, scope, first)
        for row in context["week_rows"]:
            for cell in row.days:
                cell["url"] = _url_for(row.show, cell["date"])
    else:
        context["week_days"] = reads.week_appointments(facility, scope, first)
    return context


def _url_for(show: str, day: dt.date) -> str:
    query = {"show": show, "date": day.isoformat(), "span": "day"}
    return reverse("appointments:calendar") + "?" + urlencode(query)


def _choices(request: HttpRequest) -> dict:
    doctors, rooms = reads.doctors_and_rooms(request.facility)
    departments = Department.objects.filter(
        facility=request.facility, is_active=True, kind__in=reads.QUEUE_KINDS
    ).order_by("name")
    return {"departments": list(departments), "all_doctors": doctors, "rooms": rooms}
