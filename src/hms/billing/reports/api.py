"""GET /api/v1/billing/reports/<name>/: a report's tables as JSON, the rows the page
and its downloads show, filtered by the same query string."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from hms.accounts.permissions import Perm
from hms.billing.reports.registry import REPORTS, kind_of, run_report
from hms.billing.reports.tables import Report


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def report_data(report: Report) -> dict[str, Any]:
    return {
        "report": report.name,
        "title": report.title,
        "currency": report.currency,
        "filters": {key: _json(value) for key, value in report.filters.items()},
        "tables": {
            table.key: {
                "title": table.title,
                "columns": [
                    {"key": c.key, "label": c.label, "kind": c.kind} for c in table.columns
                ],
                "rows": [{k: _json(v) for k, v in row.items()} for row in table.rows],
                "totals": None
                if table.totals is None
                else {k: _json(v) for k, v in table.totals.items()},
            }
            for table in report.tables
        },
    }


class BillingReportApi(APIView):
    required_permission = Perm.VIEW_BILLING

    @extend_schema(
        summary="A billing report",
        description=f"Reports: {', '.join(REPORTS)}. Period reports take date_from and "
        "date_to (YYYY-MM-DD, a month to today by default); aging takes as_of.",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(REPORTS)),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("as_of", OpenApiTypes.DATE),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, name: str):
        kind = kind_of(name)
        report = run_report(
            kind, request.query_params, viewer=request.user, facility=request._request.facility
        )
        return Response(report_data(report))
