"""What is owed on final invoices, by how long ago each was finalised: the patients'
part and the payers' part, in 0-30, 31-60, 61-90 and over-90-day buckets, with the
largest debtors of each kind.

Three grouped scans of the facility's final invoices: per bucket, per patient (ranked
on the total alone; only the few ranked are then split into buckets, so the database
never holds a wide aggregate per patient), and per payer and bucket."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, DecimalField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest

from hms.billing import policies
from hms.billing.models import Invoice, Payer
from hms.billing.reports.tables import (
    COUNT,
    MONEY,
    ZERO,
    Column,
    Report,
    Table,
    cents,
    day_bounds,
    totals_of,
)
from hms.core import context
from hms.core.models import Facility
from hms.patients.models import Patient

# (key, label, the oldest an invoice in the bucket is, in days); the last has no limit.
BUCKETS = [("d0_30", "0-30", 30), ("d31_60", "31-60", 60), ("d61_90", "61-90", 90)]
OVER_90 = ("d90_plus", "90+", None)
ALL_BUCKETS = [*BUCKETS, OVER_90]
TOP = 10
_MONEY = DecimalField(max_digits=14, decimal_places=2)
_ZERO = Value(Decimal("0.00"), output_field=_MONEY)


def receivables_aging(*, viewer: Any, facility: Facility, as_of: dt.date, top: int = TOP) -> Report:
    """Receivables of the facility's final (unpaid or partly paid) invoices finalised up
    to `as_of`, aged in whole facility days from the day each was finalised to `as_of`.
    Balances are today's: money taken or refunded after `as_of` counts too.

    The patient's part is their portion of the split (the whole total without one)
    less what was paid or credited on the invoice; the payer's part is its portion less what its
    remittances paid or adjusted away on the invoice's claim; neither below zero.
    """
    policies.check_view_billing(viewer, facility)
    _, end = day_bounds(facility, as_of, as_of)
    final = Invoice.objects.filter(
        facility=facility, status=Invoice.Status.FINAL, finalised_at__lt=end
    ).order_by()
    bucket = _bucket_of(facility, as_of)
    payers = _payers_by_bucket(final, bucket)
    tables = [
        _buckets(final, bucket, payers),
        _patients(final, bucket, top),
        _payers(payers, top),
    ]
    return Report("aging", "Receivables aging", facility.currency, {"as_of": as_of}, tables)


def _patient_due():
    # Credit notes come off the patient's part: one is refused while a payer holds a
    # claim on the invoice (hms.billing.services.corrections).
    paid = F("amount_paid") - F("amount_refunded") + F("amount_credited")
    owed = Coalesce(F("patient_amount"), F("total")) - paid
    return Greatest(owed, _ZERO, output_field=_MONEY)


def _payer_due():
    # What the payer's remittances have not yet settled: paid, or adjusted away
    # (contractual and other write-offs the hospital does not collect).
    settled = Coalesce(F("claim__paid_amount"), _ZERO) + Coalesce(
        F("claim__adjusted_amount"), _ZERO
    )
    return Greatest(Coalesce(F("payer_amount"), _ZERO) - settled, _ZERO, output_field=_MONEY)


def _bucket_of(facility: Facility, as_of: dt.date) -> Case:
    """The key of an invoice's bucket, from when it was finalised: on or after the
    first instant of the facility day `days` before `as_of`, it is at most that old."""
    whens = [
        When(finalised_at__gte=day_bounds(facility, as_of - dt.timedelta(days=days), as_of)[0],
             then=Value(key))
        for key, _, days in BUCKETS
    ]  # fmt: skip
    return Case(*whens, default=Value(OVER_90[0]), output_field=CharField())


BUCKET_COLUMNS = [
    Column("bucket", "Days since finalised"),
    Column("invoices", "Invoices", COUNT),
    Column("patients", "Patients' part", MONEY),
    Column("payers", "Payers' part", MONEY),
    Column("total", "Total", MONEY),
]


def _buckets(final: QuerySet[Invoice], bucket: Case, payers: dict) -> Table:
    """Per bucket: the final invoices, the patients' part and the payers' part."""
    found = {
        key: (invoices, cents(owed))
        for key, invoices, owed in final.annotate(bucket=bucket)
        .values_list("bucket")
        .annotate(invoices=Count("id"), owed=Sum(_patient_due()))
    }
    rows = []
    for key, label, _ in ALL_BUCKETS:
        invoices, patients = found.get(key, (0, ZERO))
        owed_by_payers = sum((amounts.get(key, ZERO) for amounts, _ in payers.values()), ZERO)
        rows.append(
            {
                "bucket": label,
                "invoices": invoices,
                "patients": patients,
                "payers": owed_by_payers,
                "total": patients + owed_by_payers,
            }
        )
    return Table("buckets", "By age", BUCKET_COLUMNS, rows, totals_of(BUCKET_COLUMNS, rows))


DEBTOR_AMOUNTS = [
    Column("invoices", "Invoices", COUNT),
    *(Column(key, label, MONEY) for key, label, _ in ALL_BUCKETS),
    Column("total", "Total", MONEY),
]


def _patients(final: QuerySet[Invoice], bucket: Case, top: int) -> Table:
    """The `top` patients by what they owe in all, then what each owes per bucket."""
    dues = final.annotate(due=_patient_due()).filter(due__gt=0)
    ranked = list(
        dues.values_list("patient_id")
        .annotate(total=Sum("due"), invoices=Count("id"))
        .order_by("-total", "patient_id")[:top]
    )
    ids = [patient_id for patient_id, _, _ in ranked]
    split = (
        dues.filter(patient_id__in=ids)
        .annotate(bucket=bucket)
        .values_list("patient_id", "bucket")
        .annotate(Sum("due"))
    )
    per_bucket = {(patient_id, key): cents(owed) for patient_id, key, owed in split}
    debtors = list(
        Patient.objects.filter(pk__in=ids).values_list(
            "pk", "external_id", "mrn", "given_name", "family_name"
        )
    )
    names = {
        pk: {"mrn": mrn, "name": " ".join(p for p in (given, family) if p)}
        for pk, _, mrn, given, family in debtors
    }
    # Plain values, not patient rows: named for the request's audit read here.
    context.note_patients_shown([d[1] for d in debtors], what="receivables aging")
    rows = [
        {
            **names[patient_id],
            "invoices": invoices,
            **{key: per_bucket.get((patient_id, key), ZERO) for key, _, _ in ALL_BUCKETS},
            "total": cents(total),
        }
        for patient_id, total, invoices in ranked
    ]
    columns = [Column("mrn", "MRN"), Column("name", "Patient"), *DEBTOR_AMOUNTS]
    return Table("patients", "Patients owing most", columns, rows)


def _payers_by_bucket(final: QuerySet[Invoice], bucket: Case) -> dict[int, tuple[dict, int]]:
    """Per payer: what it owes per bucket, and on how many invoices. A facility deals
    with tens of payers, so their buckets are few rows."""
    found: dict[int, tuple[dict, int]] = {}
    grouped = (
        final.filter(payer_amount__gt=0)
        .annotate(due=_payer_due(), bucket=bucket)
        .filter(due__gt=0)
        .values_list("coverage__plan__payer_id", "bucket")
        .annotate(Sum("due"), Count("id"))
    )
    for payer_id, key, owed, invoices in grouped:
        amounts, count = found.setdefault(payer_id, ({}, 0))
        amounts[key] = cents(owed)
        found[payer_id] = (amounts, count + invoices)
    return found


def _payers(payers: dict[int, tuple[dict, int]], top: int) -> Table:
    """The `top` payers by what they owe in all."""
    totals = {pk: sum(amounts.values(), ZERO) for pk, (amounts, _) in payers.items()}
    ranked = sorted(payers, key=lambda pk: (-totals[pk], pk))[:top]
    names = {
        pk: {"code": code, "name": name}
        for pk, code, name in Payer.objects.filter(pk__in=ranked).values_list("pk", "code", "name")
    }
    rows = [
        {
            **names[pk],
            "invoices": payers[pk][1],
            **{key: payers[pk][0].get(key, ZERO) for key, _, _ in ALL_BUCKETS},
            "total": totals[pk],
        }
        for pk in ranked
    ]
    columns = [Column("code", "Code"), Column("name", "Payer"), *DEBTOR_AMOUNTS]
    return Table("payers", "Payers owing most", columns, rows)
