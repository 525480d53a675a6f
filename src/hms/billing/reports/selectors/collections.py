"""Money in at the till per facility day, cashier and method, net of refunds."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from hms.accounts.models import User
from hms.billing import policies
from hms.billing.models import Payment, PaymentMethod, Refund
from hms.billing.reports.tables import (
    COUNT,
    DATE,
    MONEY,
    ZERO,
    Column,
    Report,
    Table,
    cents,
    day_bounds,
    totals_of,
)
from hms.core.models import Facility

NO_CASHIER = "No cashier (online)"
COLUMNS = [
    Column("day", "Day", DATE),
    Column("cashier", "Cashier"),
    Column("method", "Method"),
    Column("payments", "Payments", COUNT),
    Column("received", "Received", MONEY),
    Column("refunds", "Refunds", COUNT),
    Column("refunded", "Refunded", MONEY),
    Column("net", "Net", MONEY),
]


def daily_collections(
    *, viewer: Any, facility: Facility, date_from: dt.date, date_to: dt.date
) -> Report:
    """Per facility day, cashier (who took or gave back the money) and method: what
    was received, what was refunded, and the net. A payment counts on the day the
    facility's clocks showed when it was received, a refund when it was paid out.
    A cashier sees only their own takings; a supervisor every cashier's."""
    policies.check_view_billing(viewer, facility)
    start, end = day_bounds(facility, date_from, date_to)
    zone = zoneinfo.ZoneInfo(facility.timezone)
    payments = policies.scope_takings(viewer, facility, Payment.objects.all())
    refunds = policies.scope_takings(viewer, facility, Refund.objects.all())
    received = _grouped(payments, "received_at", facility, start, end, zone)
    refunded = _grouped(refunds, "refunded_at", facility, start, end, zone)
    names = _cashier_names({key[1] for key in received | refunded})
    methods = dict(PaymentMethod.choices)
    rows = []
    for key in received.keys() | refunded.keys():
        day, cashier_id, method = key
        got_count, got = received.get(key, (0, ZERO))
        back_count, back = refunded.get(key, (0, ZERO))
        rows.append(
            {
                "day": day,
                "cashier": names.get(cashier_id, NO_CASHIER),
                "method": methods.get(method, method),
                "payments": got_count,
                "received": got,
                "refunds": back_count,
                "refunded": back,
                "net": got - back,
            }
        )
    rows.sort(key=lambda row: (row["day"], row["cashier"], row["method"]))
    table = Table("collections", "Collections", COLUMNS, rows, totals_of(COLUMNS, rows))
    return Report(
        "collections",
        "Daily collections",
        facility.currency,
        {"date_from": date_from, "date_to": date_to},
        [table],
    )


def _grouped(rows, moment: str, facility, start, end, zone) -> dict[tuple, tuple[int, Any]]:
    found = (
        rows.filter(facility=facility, **{f"{moment}__gte": start, f"{moment}__lt": end})
        .annotate(day=TruncDate(moment, tzinfo=zone))
        .values_list("day", "created_by_id", "method")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    return {(day, who, method): (count, cents(amount)) for day, who, method, count, amount in found}


def _cashier_names(ids: set[int | None]) -> dict[int, str]:
    users = User.objects.filter(pk__in=[i for i in ids if i is not None])
    return {u.pk: u.get_full_name() or u.username for u in users}
