"""The auditor's pages: search the trail, export it, verify the chain."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.audit import anchors, selectors, services
from hms.audit.web.forms import AuditSearchForm

PAGE_SIZE = 50
EXPORT_FIELDS = [
    "id",
    "at",
    "username",
    "roles",
    "facility_code",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "patient_ids",
    "source_ip",
    "user_agent",
    "channel",
    "outcome",
    "reason",
    "hash",
]


def _filtered(request: HttpRequest):
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, selectors.search_events(**form.cleaned_data)
    if form.is_bound:
        return form, None
    return form, selectors.search_events()


@permission_required(Perm.VIEW_AUDIT)
def search(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    page = (
        Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        if events is not None
        else None
    )
    if page is not None:
        # Who each event's patients are (name and MRN), looked up once for the page.
        shown = selectors.patients_of(page)
        for event in page:
            event.shown, event.more = shown[event.id]
    template = (
        "audit/search.html#results" if request.headers.get("HX-Request") else "audit/search.html"
    )
    status = 400 if events is None else 200
    return render(
        request,
        template,
        {"form": form, "page": page, "query": request.GET.urlencode()},
        status=status,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@permission_required(Perm.EXPORT_AUDIT)
def export(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    if events is None:
        return render(request, "audit/search.html", {"form": form}, status=400)
    services.record_event(
        action=services.Action.EXPORT,
        actor=request.user,
        object_type="audit.AuditEvent",
        reason=f"CSV export, filters: {request.GET.urlencode()}"[:500],
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_FIELDS)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow([_safe_cell(getattr(event, f)) for f in EXPORT_FIELDS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


def _safe_cell(value) -> str:
    # A leading =, +, - or @ makes spreadsheets evaluate the cell (CSV injection).
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@permission_required(Perm.VERIFY_AUDIT)
def verify(request: HttpRequest) -> HttpResponse:
    # The same check as `hms audit verify`: the chain, then the anchors outside the database.
    report = anchors.verify_with_anchors()[0] if request.method == "POST" else None
    return render(request, "audit/verify.html", {"report": report})
