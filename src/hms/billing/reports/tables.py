"""The shape every report shares: titled tables of rows, each column with its kind, so
the page, the chart, the CSV, the XLSX and the JSON all read the same rows."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hms.core.models import Facility

ZERO = Decimal("0.00")
TEXT, MONEY, COUNT, DATE = "text", "money", "count", "date"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    # Sums of the money and count columns (None for a table that is a ranking).
    totals: dict[str, Any] | None = None


@dataclass
class Report:
    name: str
    title: str
    currency: str
    filters: dict[str, dt.date]
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def cents(value: Any) -> Decimal:
    """A sum from the database in cents. SQLite sums decimals as floats and gives back
    Decimals such as 2144 or 0.30000000000000004; None is no rows."""
    return ZERO if value is None else Decimal(str(value)).quantize(ZERO)


def totals_of(columns: list[Column], rows: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for column in columns:
        if column.kind == MONEY:
            found[column.key] = sum((row[column.key] for row in rows), ZERO)
        elif column.kind == COUNT:
            found[column.key] = sum(row[column.key] for row in rows)
    return found


def day_bounds(
    facility: Facility, first: dt.date, last: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """The instants the facility's days `first` to `last` (both included) begin and end:
    a day is the facility's calendar day, not UTC's."""
    zone = zoneinfo.ZoneInfo(facility.timezone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end
