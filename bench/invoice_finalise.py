"""Invoice finalisation: 10,000 draft invoices made final one after another through
billing.services.finalise_invoice, each taking the facility's next gapless number.

Usage: .venv/bin/python bench/invoice_finalise.py [--database sqlite|postgres]
       [--invoices 10000] [--lines 3] [--patients 1000] [--profile]

The facility, tariff, insurer and patients of bench/charge_capture.py (a third of the
patients insured, so their invoices are split between the payer and the patient at
finalisation). The charges, --lines per invoice, and the drafts, one per patient per
round until there are --invoices, are written in bulk: the rows capture_charge and
draft_invoice write (priced from the lists, the lines and totals made by the drafting
service's own functions), without their audit events. Then
every draft is finalised, timed per call and in total, and checked: all final, numbered
1 to --invoices without a gap, their charges billed, one audit event each.
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_invoices (recreated and
analysed after the set-up); SQLite a fresh file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from zoneinfo import ZoneInfo

from charge_capture import Cpu, Profiled, analyze, configure, percentile, set_up
from procs import first_in_line

DB_NAME = "hms_bench_invoices"
SEED = 20260302
TARGET_S = 60  # for 10,000 drafts, on PostgreSQL


def bulk_charges(billing, count: int, round_number: int, rng: random.Random) -> list:
    """`count` unbilled charges for each patient, priced from the patient's list as
    capture_charge prices them, written in one go; by patient."""
    from django.utils import timezone

    from hms.billing.models import Charge, Price
    from hms.billing.totals import gross_of

    prices = {}
    for price in Price.objects.select_related("item", "price_list"):
        prices[price.item.code, price.price_list_id] = price
    today = timezone.localdate()
    rows = []
    for patient in billing.patients:
        for line in range(count):
            code = rng.choice(billing.codes)
            wanted = billing.insurer if patient.covered else billing.self_pay
            price = prices.get((code, wanted.pk)) or prices[code, billing.self_pay.pk]
            quantity = rng.randrange(1, 4)
            rows.append(
                Charge(
                    facility=billing.facility,
                    patient=patient,
                    item=price.item,
                    price_list=price.price_list,
                    description=price.item.name,
                    quantity=quantity,
                    unit_price=price.amount,
                    tax_rate=price.tax_rate,
                    amount=gross_of(quantity, price.amount, price.price_list.currency),
                    currency=price.price_list.currency,
                    service_date=today - dt.timedelta(days=rng.randrange(7)),
                    source=f"bulk:{round_number}:{patient.pk}:{line}",
                    created_by=billing.clerk,
                    updated_by=billing.clerk,
                )
            )
    Charge.objects.bulk_create(rows, batch_size=2000)
    return [rows[at : at + count] for at in range(0, len(rows), count)]


def bulk_drafts(billing, charges_by_patient: list[list]) -> list:
    """One draft per patient of its charges, the rows draft_invoice writes (its lines
    and totals made by the same functions), written in bulk, without audit events."""
    from hms.billing.models import Charge, Invoice, InvoiceLine
    from hms.billing.services import invoices as service
    from hms.billing.totals import totals_of

    drafts, lines = [], []
    for charges in charges_by_patient:
        charges.sort(key=lambda charge: (charge.service_date, charge.pk))
        invoice = Invoice(
            facility=billing.facility,
            patient=charges[0].patient,
            currency=charges[0].currency,
            created_by=billing.clerk,
            updated_by=billing.clerk,
        )
        mine = [service._line(invoice, charge, n) for n, charge in enumerate(charges, 1)]
        totals = totals_of([service.line_amounts_of(line, invoice.currency) for line in mine])
        invoice.subtotal, invoice.discount_total = totals.subtotal, totals.discount_total
        invoice.tax_total, invoice.total = totals.tax_total, totals.total
        drafts.append(invoice)
        lines.extend(mine)
    Invoice.objects.bulk_create(drafts, batch_size=2000)
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    billed = []
    for invoice, charges in zip(drafts, charges_by_patient, strict=True):
        for charge in charges:
            charge.invoice = invoice
            billed.append(charge)
    Charge.objects.bulk_update(billed, ["invoice"], batch_size=2000)
    return drafts


def drafts(billing, invoices: int, lines: int) -> list:
    """`invoices` drafts of `lines` lines each, one per patient per round."""
    rng = random.Random(SEED)
    made = []
    round_number = 0
    while len(made) < invoices:
        charges = bulk_charges(billing, lines, round_number, rng)
        made.extend(bulk_drafts(billing, charges[: invoices - len(made)]))
        round_number += 1
    return made


def check(billing, invoices: list, events: int) -> None:
    from django.utils import timezone

    from hms.audit.models import AuditEvent
    from hms.billing.models import Charge, Invoice

    facility = billing.facility
    final = Invoice.objects.filter(facility=facility, status=Invoice.Status.FINAL)
    at = final.values_list("finalised_at", flat=True).first()
    numbers = sorted(final.values_list("number", flat=True))
    prefix = f"{facility.code}-{timezone.localtime(at, ZoneInfo(facility.timezone)).year}-"
    wanted = [f"{prefix}{n:06d}" for n in range(1, len(invoices) + 1)]
    unbilled = Charge.objects.filter(invoice__in=final).exclude(status=Charge.Status.BILLED)
    audited = AuditEvent.objects.count() - events
    if numbers != wanted or unbilled.exists() or audited != len(invoices):
        raise SystemExit(
            f"expected {len(invoices)} final invoices numbered 1 to {len(invoices)}, their "
            f"charges billed and one event each; got {len(numbers)} numbers, "
            f"{unbilled.count()} charges unbilled, {audited} events"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3, help="lines per invoice")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the finalising")
    args = parser.parse_args()
    database = configure(args.database, DB_NAME)

    from hms.audit.models import AuditEvent
    from hms.billing.models import Invoice
    from hms.billing.services import finalise_invoice

    began = time.perf_counter()
    billing = set_up(patients=args.patients, items=200)
    set_up_s = time.perf_counter() - began
    invoices = drafts(billing, args.invoices, args.lines)
    drafted_s = time.perf_counter() - began - set_up_s
    analyze(args.database)
    insured = sum(invoice.patient.covered for invoice in invoices)
    print(
        f"invoice finalisation on {args.database}: {len(invoices)} drafts of {args.lines} "
        f"lines for {args.patients} patients ({insured} drafts of insured patients); "
        f"set up in {set_up_s:.0f} s, drafted in {drafted_s:.0f} s "
        f"({drafted_s / len(invoices) * 1000:.1f} ms a draft)"
    )
    first_in_line()
    events = AuditEvent.objects.count()
    latencies = []
    load = os.getloadavg()[0]
    with Cpu(database) as cpu, Profiled(args.profile):
        started = time.perf_counter()
        for invoice in invoices:
            begun = time.perf_counter()
            finalise_invoice(actor=billing.clerk, invoice=invoice)
            latencies.append((time.perf_counter() - begun) * 1000)
        elapsed = time.perf_counter() - started
    check(billing, invoices, events)
    split = Invoice.objects.filter(payer_amount__gt=0).count()
    met = elapsed * 10_000 / len(invoices) <= TARGET_S or args.database != "postgres"
    print(
        f"  load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"\n{'database':<9} {'invoices':>8} {'split':>5} {'total s':>7} {'invoices/s':>10} "
        f"{'p50 ms':>6} {'p95 ms':>6} {'p99 ms':>6} {'app cpu':>7} {'db cpu':>6}   target"
    )
    count = len(invoices)
    print(
        f"{args.database:<9} {count:>8} {split:>5} {elapsed:>7.1f} {count / elapsed:>10.0f} "
        f"{percentile(latencies, 0.5):>6.2f} {percentile(latencies, 0.95):>6.2f} "
        f"{percentile(latencies, 0.99):>6.2f} {cpu.app / count:>7.2f} "
        f"{f'{cpu.db / count:.2f}' if database else '-':>6}   "
        f"<= {TARGET_S} s a 10,000 on postgres: {'ok' if met else 'MISSED'}"
    )
    print(
        "(per call; split: invoices with a payer portion; cpu: ms per invoice of this "
        "process (on SQLite the database's work is in it) and of the PostgreSQL backend; "
        "checked: all final, numbered without a gap, charges billed, one audit event each)"
    )
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
