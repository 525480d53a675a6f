"""Claims made in a period: how many and how much in each status, and for each reason
code a payer gave when denying or cutting one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Count, Sum

from hms.billing import policies
from hms.billing.carc import meaning
from hms.billing.models import Claim
from hms.billing.reports.tables import (
    COUNT,
    MONEY,
    Column,
    Report,
    Table,
    cents,
    day_bounds,
    totals_of,
)
from hms.core.models import Facility

STATUS_COLUMNS = [
    Column("status", "Status"),
    Column("claims", "Claims", COUNT),
    Column("amount", "Amount claimed", MONEY),
    Column("paid", "Paid", MONEY),
    Column("adjusted", "Adjusted", MONEY),
]
REASON_COLUMNS = [
    Column("code", "Reason code"),
    Column("meaning", "Meaning"),
    Column("claims", "Claims", COUNT),
    Column("amount", "Amount claimed", MONEY),
]

# One row per reason code of each claim, grouped: the codes are a JSON list on the
# claim, unnested by each database's own table function.
_REASONS_SQL = {
    "postgresql": (
        "SELECT code, COUNT(*), SUM(c.amount) FROM {table} c "
        "CROSS JOIN LATERAL jsonb_array_elements_text(c.denial_reason_codes) AS code "
        "WHERE c.facility_id = %s AND c.created_at >= %s AND c.created_at < %s "
        "GROUP BY code ORDER BY COUNT(*) DESC, code"
    ),
    "sqlite": (
        "SELECT j.value, COUNT(*), SUM(c.amount) "
        "FROM {table} c, json_each(c.denial_reason_codes) j "
        "WHERE c.facility_id = %s AND c.created_at >= %s AND c.created_at < %s "
        "GROUP BY j.value ORDER BY COUNT(*) DESC, j.value"
    ),
}


def claims_summary(
    *, viewer: Any, facility: Facility, date_from: dt.date, date_to: dt.date
) -> Report:
    """Claims built on the facility's days `date_from` to `date_to`: count, amount
    claimed, paid and adjusted away per status (every status, none left out for having
    no claims), and count and amount claimed per denial reason code (a claim with two
    codes counts under each)."""
    policies.check_view_billing(viewer, facility)
    start, end = day_bounds(facility, date_from, date_to)
    grouped = (
        Claim.objects.filter(facility=facility, created_at__gte=start, created_at__lt=end)
        .values("status")
        .annotate(
            claims=Count("id"), amount=Sum("amount"), paid=Sum("paid_amount"),
            adjusted=Sum("adjusted_amount"),
        )
        .order_by()
    )  # fmt: skip
    found = {row.pop("status"): row for row in grouped}
    statuses = [_status_row(label, found.get(value, {})) for value, label in Claim.Status.choices]
    reasons = [
        {"code": code, "meaning": str(meaning(code)), "claims": count, "amount": cents(amount)}
        for code, count, amount in _reasons(facility, start, end)
    ]
    return Report(
        "claims",
        "Claims",
        facility.currency,
        {"date_from": date_from, "date_to": date_to},
        [
            Table(
                "statuses",
                "By status",
                STATUS_COLUMNS,
                statuses,
                totals_of(STATUS_COLUMNS, statuses),
            ),
            Table("reasons", "By denial reason", REASON_COLUMNS, reasons),
        ],
    )


def _status_row(label: str, sums: dict[str, Any]) -> dict[str, Any]:
    money = {key: cents(sums.get(key)) for key in ("amount", "paid", "adjusted")}
    return {"status": label, "claims": sums.get("claims", 0), **money}


def _reasons(facility: Facility, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    sql = _REASONS_SQL[connection.vendor].format(table=Claim._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [facility.pk, start, end])
        return cursor.fetchall()
