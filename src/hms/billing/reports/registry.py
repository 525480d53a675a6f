"""The reports by name, as the pages, the downloads and the REST API know them: which
filters each takes, which selector answers it, and what its chart shows."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone

from hms.billing.reports import selectors
from hms.billing.reports.filters import AsOfForm, PeriodForm, first_error
from hms.billing.reports.tables import Report
from hms.core.errors import NotFound
from hms.core.models import Facility


@dataclass(frozen=True)
class Chart:
    table: str  # the table charted
    label: str  # the column naming each bar
    series: tuple[str, ...]  # the money columns stacked in each bar
    title: str


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str
    summary: str
    form: type[forms.Form]
    read: Callable[..., Report]
    chart: Chart


REPORTS: dict[str, ReportKind] = {
    kind.name: kind
    for kind in [
        ReportKind(
            "collections",
            "Daily collections",
            "Money received less refunds, per day, cashier and method.",
            PeriodForm,
            selectors.daily_collections,
            Chart("collections", "day", ("net",), "Net collected per day"),
        ),
        ReportKind(
            "aging",
            "Receivables aging",
            "What patients and payers owe on final invoices, by days since finalised.",
            AsOfForm,
            selectors.receivables_aging,
            Chart("buckets", "bucket", ("patients", "payers"), "Owed by age"),
        ),
        ReportKind(
            "claims",
            "Claims",
            "Claims by status and by the payer's denial reason codes.",
            PeriodForm,
            selectors.claims_summary,
            Chart("statuses", "status", ("amount",), "Amount claimed by status"),
        ),
        ReportKind(
            "revenue",
            "Revenue by department and doctor",
            "Invoice lines of final invoices, per department and doctor of the visit.",
            PeriodForm,
            selectors.revenue_by_department,
            Chart("departments", "department", ("net",), "Net revenue by department"),
        ),
    ]
}


def kind_of(name: str) -> ReportKind:
    found = REPORTS.get(name)
    if found is None:
        raise NotFound("No such report.", field="name")
    return found


def facility_today(facility: Facility) -> dt.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(facility.timezone))


def filter_form(kind: ReportKind, params: Mapping[str, Any], facility: Facility) -> forms.Form:
    return kind.form(params, today=facility_today(facility))


def run_report(
    kind: ReportKind, params: Mapping[str, Any], *, viewer: Any, facility: Facility
) -> Report:
    """The report for the query string `params`; InvalidInput naming the field when a
    filter is bad."""
    form = filter_form(kind, params, facility)
    if not form.is_valid():
        raise first_error(form)
    return kind.read(viewer=viewer, facility=facility, **form.cleaned_data)
