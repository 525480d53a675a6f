"""The report pages: an index, and one page per report with its filter form, its
tables and chart, and the same rows as CSV or XLSX (?format=csv|xlsx); the chart is the
page's image of its own (?format=svg)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing.reports import exports
from hms.billing.reports.charts import chart_svg, has_chart
from hms.billing.reports.registry import REPORTS, ReportKind, filter_form
from hms.billing.reports.tables import Report, Table

_DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", exports.as_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.as_xlsx,
    ),
}


@never_cache
@permission_required(Perm.VIEW_BILLING)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/reports/index.html", {"reports": REPORTS.values()})


def report_page(kind: ReportKind):
    @never_cache
    @permission_required(Perm.VIEW_BILLING)
    def view(request: HttpRequest) -> HttpResponse:
        form = filter_form(kind, request.GET, request.facility)
        if not form.is_valid():
            # A bad filter is the user's to fix: the form shows it on its field.
            return render(
                request, "billing/reports/report.html", {"kind": kind, "form": form}, status=400
            )
        report = kind.read(viewer=request.user, facility=request.facility, **form.cleaned_data)
        wanted = request.GET.get("format", "")
        if wanted in _DOWNLOADS:
            return _download(report, wanted)
        if wanted == "svg":
            return _chart(report, kind)
        context = {
            "kind": kind,
            "form": form,
            "report": report,
            "tables": [_shown(table) for table in report.tables],
            "chart": has_chart(report, kind.chart),
            "query": _query(report),
        }
        return render(request, "billing/reports/report.html", context)

    view.__name__ = f"{kind.name}_report"
    return view


def _shown(table: Table) -> dict:
    """The table as rows of (kind, value) cells, in column order, for the template."""
    kinds = [c.kind for c in table.columns]
    rows = [[(c.kind, row[c.key]) for c in table.columns] for row in table.rows]
    totals = None
    if table.totals is not None:
        cells = [table.totals.get(c.key, "") for c in table.columns]
        totals = list(zip(kinds, ["Total", *cells[1:]], strict=True))
    return {
        "key": table.key,
        "title": table.title,
        "columns": table.columns,
        "rows": rows,
        "totals": totals,
    }


def _query(report: Report) -> str:
    return "&".join(f"{key}={day.isoformat()}" for key, day in report.filters.items())


def _chart(report: Report, kind: ReportKind) -> HttpResponse:
    svg = chart_svg(report, kind.chart)
    if svg is None:
        raise Http404("Nothing to draw.")
    return HttpResponse(svg, content_type="image/svg+xml")


def _download(report: Report, wanted: str) -> HttpResponse:
    content_type, write = _DOWNLOADS[wanted]
    days = "_".join(d.isoformat() for d in report.filters.values() if isinstance(d, dt.date))
    response = HttpResponse(write(report), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.name}_{days}.{wanted}"'
    return response
