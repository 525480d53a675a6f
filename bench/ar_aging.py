"""Receivables aging over a large ledger: 1,000,000 invoice lines by default (250,000
final invoices of 4 lines each, finalised over 200 days, some paid in part or in full,
a third of them covered by a payer and mostly claimed).

Usage: .venv/bin/python bench/ar_aging.py [--database sqlite|postgres]
       [--invoices 250000] [--lines 4] [--runs 7]

The database is made afresh for each run: SQLite in $TMPDIR/hms-bench-aging,
PostgreSQL in hms_bench_aging on 127.0.0.1:5432. Patients, payers and coverages are
made with the ORM; charges, invoices, lines, payments and claims are written directly
(COPY on PostgreSQL, executemany on SQLite) with their foreign-key checks off, then
analysed. The selector hms.billing.reports.selectors.receivables_aging (buckets and
the top patients and payers) is then timed over a few runs and a table printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from procs import first_in_line, percentile, recreate_database

DATABASE = "hms_bench_aging"
SEED = 20260630
CHUNK = 10_000  # invoices per transaction
PATIENTS = 20_000
PAYERS = 5
DAYS = 200
AS_OF = dt.date(2026, 6, 30)
TARGET_MS = {"sqlite": 5000, "postgres": 2000}
PRICES = [Decimal("1000.00"), Decimal("928.00"), Decimal("450.00"), Decimal("2500.00")]


def configure(database: str) -> None:
    data_dir = Path(tempfile.gettempdir()) / "hms-bench-aging"
    data_dir.mkdir(exist_ok=True)
    os.environ["HMS_DATA_DIR"] = str(data_dir)
    if database == "postgres":
        os.environ["DATABASE_URL"] = recreate_database(DATABASE)
    else:
        os.environ.pop("DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"hms.sqlite3{suffix}").unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hms.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --- writing rows directly ---------------------------------------------------------------


class Writer:
    """Writes rows of one model given as dicts of column values; every other column
    takes its field's default, prepared once."""

    def __init__(self, model, given: list[str]) -> None:
        from django.db import connection

        fields = model._meta.concrete_fields
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields if f.column in given or not f.primary_key]
        missing = [f for f in fields if f.column not in given and not f.primary_key]
        self.defaults = {f.column: f.get_db_prep_save(f.get_default(), connection) for f in missing}
        self.sqlite = connection.vendor == "sqlite"

    def write(self, cursor, rows: list[dict]) -> None:
        values = [[row.get(c, self.defaults.get(c)) for c in self.columns] for row in rows]
        names = ", ".join(self.columns)
        if not self.sqlite:
            with cursor.cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
            return
        marks = ", ".join(["?"] * len(self.columns))
        cursor.cursor.executemany(
            f"INSERT INTO {self.table} ({names}) VALUES ({marks})",  # noqa: S608
            [[_sqlite(v) for v in value] for value in values],
        )


def _sqlite(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


# --- the ledger ----------------------------------------------------------------------------


def setup(invoices: int):
    """The facility, a viewer, the tariff, patients, payers and their coverages."""
    from hms.accounts import services
    from hms.billing.models import BillableItem, Coverage, Payer, Plan, PriceList
    from hms.core.models import Facility
    from hms.patients.models import Patient

    facility = Facility.objects.create(
        name="Bench General", code="BA", timezone="Africa/Nairobi", currency="KES"
    )
    viewer = services.create_user(
        actor=None, facility=facility, username="clerk", password=uuid.uuid4().hex,
        roles=("billing_clerk",), skip_permission_checks=True,
    )  # fmt: skip
    items = [
        BillableItem.objects.create(facility=facility, code=f"I{i}", name=f"Item {i}", kind="other")
        for i in range(len(PRICES))
    ]
    price_list = PriceList.objects.create(
        facility=facility, code="CASH", name="Cash", kind="self_pay", currency="KES"
    )
    Patient.objects.bulk_create(
        Patient(facility=facility, mrn=f"BA{i:07d}", given_name=f"Given{i}",
                family_name=f"Family{i}", sex="female")
        for i in range(PATIENTS)
    )  # fmt: skip
    patient_ids = list(Patient.objects.filter(facility=facility).values_list("pk", flat=True))
    plans = []
    for i in range(PAYERS):
        payer = Payer.objects.create(
            facility=facility, code=f"P{i}", name=f"Payer {i}", kind="insurer"
        )
        plans.append(Plan.objects.create(payer=payer, code="GOLD", name="Gold"))
    covered = {}
    coverages = [
        Coverage(facility=facility, patient_id=pk, plan=plans[n % PAYERS], member_id=f"M{pk}",
                 member_id_index=f"M{pk}", valid_from=dt.date(2025, 1, 1))
        for n, pk in enumerate(patient_ids[: PATIENTS // 3])
    ]  # fmt: skip
    for coverage in Coverage.objects.bulk_create(coverages):
        covered[coverage.patient_id] = (coverage.pk, coverage.plan.payer_id)
    return facility, viewer, items, price_list, patient_ids, covered


def load(facility, items, price_list, patient_ids, covered, invoices: int, lines: int) -> float:
    from django.db import connection, transaction

    from hms.billing.models import Charge, Claim, Invoice, InvoiceLine, Payment, PaymentAllocation

    started = time.perf_counter()
    rng = random.Random(SEED)
    writers = {
        "invoices": Writer(Invoice, ["id"]),
        "charges": Writer(Charge, ["id"]),
        "lines": Writer(InvoiceLine, []),
        "payments": Writer(Payment, ["id"]),
        "allocations": Writer(PaymentAllocation, []),
        "claims": Writer(Claim, []),
    }
    tables = [writer.table for writer in writers.values()]
    with connection.cursor() as cursor:
        _fast_writes(cursor, on=True)
        indexes = secondary_indexes(cursor, tables)
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    context = (facility, items, price_list, patient_ids, covered, lines)
    for start in range(0, invoices, CHUNK):
        rows = _chunk(rng, context, start, min(start + CHUNK, invoices))
        with transaction.atomic(), connection.cursor() as cursor:
            for name, writer in writers.items():
                writer.write(cursor, rows[name])
        done = min(start + CHUNK, invoices)
        rate = done * lines / (time.perf_counter() - started)
        print(f"\r  loaded {done:,} invoices ({rate:,.0f} lines/s)", end="", flush=True)
    print("\n  building indexes ...", flush=True)
    with connection.cursor() as cursor:
        for _, create in indexes:
            cursor.execute(create)
        _fast_writes(cursor, on=False)
        _after_load(cursor)
    return time.perf_counter() - started


def _chunk(rng: random.Random, context, start: int, stop: int) -> dict[str, list[dict]]:  # noqa: PLR0914 - one invoice's rows, built side by side
    facility, items, price_list, patient_ids, covered, lines = context
    found: dict[str, list[dict]] = {k: [] for k in ("invoices", "charges", "lines", "payments",
                                                   "allocations", "claims")}  # fmt: skip
    now = dt.datetime.combine(AS_OF, dt.time(18), tzinfo=dt.UTC)
    for n in range(start, stop):
        invoice_id, patient_id = n + 1, rng.choice(patient_ids)
        finalised = now - dt.timedelta(days=rng.uniform(0, DAYS))
        total = Decimal(0)
        for position in range(lines):
            charge_id, item = n * lines + position + 1, rng.randrange(len(items))
            price = PRICES[item]
            total += price
            found["charges"].append({
                "id": charge_id, "external_id": uuid.uuid4(), "created_at": finalised,
                "updated_at": finalised, "facility_id": facility.pk, "patient_id": patient_id,
                "item_id": items[item].pk, "price_list_id": price_list.pk, "description": "Item",
                "quantity": Decimal(1), "unit_price": price, "amount": price, "currency": "KES",
                "service_date": finalised.date(), "source": f"bench:{charge_id}",
                "status": "billed", "invoice_id": invoice_id,
            })  # fmt: skip
            found["lines"].append({
                "invoice_id": invoice_id, "charge_id": charge_id, "position": position + 1,
                "description": "Item", "quantity": Decimal(1), "unit_price": price,
                "gross": price, "line_total": price,
            })  # fmt: skip
        paid = _payment(rng, found, facility, invoice_id, patient_id, total, finalised)
        invoice = {
            "id": invoice_id, "external_id": uuid.uuid4(), "created_at": finalised,
            "updated_at": finalised, "facility_id": facility.pk, "patient_id": patient_id,
            "number": f"BA-2026-{invoice_id:07d}", "status": "paid" if paid == total else "final",
            "currency": "KES", "subtotal": total, "total": total, "finalised_at": finalised,
            "amount_paid": paid,
        }  # fmt: skip
        if patient_id in covered:
            _claim(rng, found, facility, invoice, covered[patient_id])
        found["invoices"].append(invoice)
    return found


def _payment(rng, found, facility, invoice_id, patient_id, total, finalised) -> Decimal:
    """Nothing on most invoices; in full on some, half on others."""
    share = rng.random()
    if share < 0.55:
        return Decimal(0)
    amount = total if share < 0.75 else (total / 2).quantize(Decimal("0.01"))
    at = finalised + dt.timedelta(hours=rng.uniform(0, 48))
    found["payments"].append({
        "id": invoice_id, "external_id": uuid.uuid4(), "created_at": at, "updated_at": at,
        "facility_id": facility.pk, "patient_id": patient_id,
        "receipt_number": f"BA-RCT-2026-{invoice_id:07d}", "method": "cash", "amount": amount,
        "unallocated": Decimal(0), "currency": "KES", "received_at": at,
    })  # fmt: skip
    found["allocations"].append(
        {"payment_id": invoice_id, "invoice_id": invoice_id, "amount": amount, "allocated_at": at}
    )
    return amount


def _claim(rng, found, facility, invoice, coverage) -> None:
    """The payer owes 80 %; most of its portions are claimed, some already paid in
    full or in part, some denied (adjusted away)."""
    coverage_id, payer_id = coverage
    payer_amount = (invoice["total"] * Decimal("0.8")).quantize(Decimal("0.01"))
    invoice.update(coverage_id=coverage_id, payer_amount=payer_amount,
                   patient_amount=invoice["total"] - payer_amount)  # fmt: skip
    if rng.random() < 0.2:
        return
    status = rng.choice(["draft", "submitted", "accepted", "paid", "partially_paid", "denied"])
    paid = {"paid": payer_amount, "partially_paid": (payer_amount / 2).quantize(Decimal("0.01"))}
    at = invoice["finalised_at"] + dt.timedelta(days=1)
    found["claims"].append({
        "external_id": uuid.uuid4(), "created_at": at, "updated_at": at,
        "facility_id": facility.pk, "invoice_id": invoice["id"], "coverage_id": coverage_id,
        "payer_id": payer_id, "amount": payer_amount, "currency": "KES", "status": status,
        "diagnosis_codes": "[]", "denial_reason_codes": '["CO-16"]' if status == "denied" else "[]",
        "control_number": invoice["number"], "submitted_at": None if status == "draft" else at,
        "paid_amount": paid.get(status, Decimal(0)),
        "adjusted_amount": payer_amount if status == "denied" else Decimal(0),
    })  # fmt: skip


def secondary_indexes(cursor, tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the loaded tables' indexes that no constraint owns:
    dropped for the load and built once at its end, several times faster."""
    from django.db import connection

    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
    else:
        marks = ", ".join(["%s"] * len(tables))
        query = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"  # noqa: E501, S608
        cursor.execute(query, tables)
    return cursor.fetchall()


def _fast_writes(cursor, *, on: bool) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        # Foreign keys are right by construction; skip their per-row triggers.
        cursor.execute(f"SET session_replication_role = {'replica' if on else 'origin'}")
    else:
        cursor.execute(f"PRAGMA foreign_keys = {'OFF' if on else 'ON'}")
        cursor.execute(f"PRAGMA synchronous = {'OFF' if on else 'NORMAL'}")


def _after_load(cursor) -> None:
    from django.db import connection

    tables = ["billing_invoice", "billing_charge", "billing_payment"]
    if connection.vendor == "postgresql":
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"  # noqa: S608
            )
        cursor.execute("VACUUM ANALYZE")
    else:
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# --- timing ----------------------------------------------------------------------------------


def counts() -> dict[str, int]:
    from hms.billing.models import Claim, Invoice, InvoiceLine, Payment

    return {
        "lines": InvoiceLine.objects.count(),
        "final invoices": Invoice.objects.filter(status="final").count(),
        "paid invoices": Invoice.objects.filter(status="paid").count(),
        "payments": Payment.objects.count(),
        "claims": Claim.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--invoices", type=int, default=250_000)
    parser.add_argument("--lines", type=int, default=4, help="lines per invoice")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    configure(args.database)

    from hms.billing.reports.selectors import receivables_aging

    print(f"receivables aging on {args.database}: {args.invoices:,} invoices x {args.lines} lines")
    facility, viewer, items, price_list, patient_ids, covered = setup(args.invoices)
    seconds = load(facility, items, price_list, patient_ids, covered, args.invoices, args.lines)
    rows = args.invoices * args.lines
    print(f"  loaded in {seconds:,.0f} s ({rows / seconds:,.0f} lines/s)")
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts().items()))

    first_in_line()
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    report = receivables_aging(viewer=viewer, facility=facility, as_of=AS_OF)  # warm the cache
    wall = []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = receivables_aging(viewer=viewer, facility=facility, as_of=AS_OF)
        wall.append((time.perf_counter() - started) * 1000)
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")

    buckets = report.table("buckets")
    print(f"\n{'bucket':<8} {'invoices':>9} {'patients':>16} {'payers':>16}")
    for row in [*buckets.rows, {"bucket": "total", **buckets.totals}]:
        print(
            f"{row['bucket']:<8} {row['invoices']:>9,} {row['patients']:>16,} {row['payers']:>16,}"
        )

    target = TARGET_MS[args.database]
    p50, p95 = percentile(wall, 0.5), percentile(wall, 0.95)
    ok = p95 <= target
    print(f"\n{'selector':<20} {'runs':>4} {'p50 ms':>8} {'p95 ms':>8}   p95 <= {target} ms")
    verdict = "ok" if ok else "MISSED"
    print(f"{'receivables_aging':<20} {args.runs:>4} {p50:>8.0f} {p95:>8.0f}   {verdict}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
