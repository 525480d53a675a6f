"""Charge capture: billing.services.capture_charge called one charge after another from
a single process, as the wards, the laboratory and the pharmacy bill through it.

Usage: .venv/bin/python bench/charge_capture.py [--database sqlite|postgres]
       [--charges 5000] [--patients 500] [--items 200] [--profile]

A facility (BENCH, KES) with a catalogue of --items billable items, all priced on the
self-pay list and half of them on an insurer's list too (made through the tariff
services); --patients patients registered through the patients service, a third of them
insured (a coverage through the insurance service). Each charge is for a patient and an
item drawn at random, 1 to 3 of it, rendered today or in the last week, priced from the
self-pay list or, for an insured patient, from the insurer's list (which falls back to
self-pay for the items it does not price), by a billing clerk whose permission is
checked on every call, each with its own source. PostgreSQL uses
postgres://postgres@127.0.0.1:5432/hms_bench_charges (recreated and analysed after the
set-up); SQLite a fresh file. The other billing benches build on the set-up here.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import datetime as dt
import os
import pstats
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal

from procs import cpu_ms, first_in_line, pg_backends, recreate_database

DB_NAME = "hms_bench_charges"
SEED = 20260301
TARGET_RATE = 500  # charges/s on PostgreSQL, one process
GIVEN = ["Amina", "Baraka", "Chebet", "Daudi", "Esther", "Faith", "Grace", "Halima", "Imani"]
FAMILY = ["Achieng", "Barasa", "Cheruiyot", "Dida", "Ekiru", "Gachanja", "Hussein", "Ireri"]
KINDS = ["consultation", "lab", "imaging", "procedure", "drug"]


def configure(database: str, name: str) -> str:
    """A fresh data folder and database `name` (PostgreSQL) or file (SQLite), migrated;
    returns the PostgreSQL database's name, or "" on SQLite."""
    os.environ.update(
        HMS_DATA_DIR=tempfile.mkdtemp(prefix="hms-bench-billing-"),
        HMS_SECRET_KEY="bench",
        DJANGO_SETTINGS_MODULE="hms.settings",
    )
    atexit.register(shutil.rmtree, os.environ["HMS_DATA_DIR"], ignore_errors=True)
    if database == "postgres":
        os.environ["DATABASE_URL"] = recreate_database(name)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return name if database == "postgres" else ""


@dataclass
class Billing:
    facility: object
    supervisor: object
    clerk: object
    self_pay: object
    insurer: object  # the insurer's price list
    payer: object
    plan: object
    codes: list[str]
    patients: list  # each with .covered set when insured


def set_up(*, patients: int, items: int, insured_share: float = 1 / 3) -> Billing:
    """The facility, its tariff, one insurer with one plan, and the patients."""
    from hms.accounts import services as accounts
    from hms.billing import services
    from hms.billing.services import insurance
    from hms.core.models import Facility

    rng = random.Random(SEED)
    facility = Facility.objects.create(
        name="Bench Hospital", code="BENCH", timezone="Africa/Nairobi", currency="KES"
    )
    supervisor, clerk = (
        accounts.create_user(
            actor=None,
            facility=facility,
            username=f"bench-{role}",
            password="bench-password-long-enough-1",
            roles=[role],
            skip_permission_checks=True,
        )
        for role in ("admin", "billing_clerk")
    )
    self_pay = services.add_price_list(
        actor=supervisor, facility=facility, code="CASH", name="Cash", kind="self_pay"
    )
    insurer = services.add_price_list(
        actor=supervisor, facility=facility, code="AAR", name="AAR tariff", kind="payer"
    )
    start = dt.date(2026, 1, 1)
    codes = []
    for number in range(items):
        kind = KINDS[number % len(KINDS)]
        item = services.add_billable_item(
            actor=supervisor,
            facility=facility,
            code=f"{kind[:4].upper()}{number:04d}",
            name=f"{kind.title()} {number}",
            kind=kind,
        )
        amount = Decimal(rng.randrange(100, 20_000))
        tax = Decimal(16) if kind == "drug" else Decimal(0)
        services.set_price(
            actor=supervisor,
            item=item,
            price_list=self_pay,
            amount=amount,
            tax_rate=tax,
            valid_from=start,
        )
        if number % 2:
            services.set_price(
                actor=supervisor,
                item=item,
                price_list=insurer,
                amount=(amount * Decimal("0.85")).quantize(Decimal(1)),
                tax_rate=tax,
                valid_from=start,
            )
        codes.append(item.code)
    payer = insurance.add_payer(
        actor=supervisor,
        facility=facility,
        code="AAR",
        name="AAR Insurance",
        kind="insurer",
        x12_payer_id="AAR01",
    )
    plan = insurance.add_plan(
        actor=supervisor,
        payer=payer,
        code="GOLD",
        name="Gold",
        copay="200",
        coinsurance_percent="10",
        price_list=insurer,
    )
    people = register(facility, patients, rng)
    for number, patient in enumerate(people):
        patient.covered = number < patients * insured_share
        if patient.covered:
            insurance.add_coverage(
                actor=clerk,
                patient=patient,
                plan=plan,
                member_id=f"AAR-{number:04d}-{rng.randrange(10_000):04d}",
                valid_from=start,
            )
    return Billing(facility, supervisor, clerk, self_pay, insurer, payer, plan, codes, people)


def register(facility, count: int, rng: random.Random) -> list:
    from hms.patients.testing import registered

    return [
        registered(
            facility,
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            sex=rng.choice(["female", "male"]),
            birth_date=dt.date(
                1940 + rng.randrange(84), rng.randrange(1, 13), rng.randrange(1, 29)
            ),
        )
        for _ in range(count)
    ]


def analyze(database: str) -> None:
    """Statistics for the planner, as autovacuum keeps them on a live database: the
    run starts on tables that were empty a moment ago."""
    if database == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def orders(billing: Billing, count: int, prefix: str) -> list[dict]:
    """capture_charge's arguments for `count` charges."""
    from django.utils import timezone

    rng = random.Random(SEED + 1)
    today = timezone.localdate()
    found = []
    for number in range(count):
        patient = rng.choice(billing.patients)
        found.append(
            {
                "patient": patient,
                "item_code": rng.choice(billing.codes),
                "source": f"{prefix}:{number}",
                "quantity": rng.randrange(1, 4),
                "service_date": today - dt.timedelta(days=rng.randrange(7)),
                "price_list": billing.insurer if patient.covered else None,
            }
        )
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share + 0.5) - 1)]


class Profiled:
    """cProfile around a block when asked; prints the top of the profile after it."""

    def __init__(self, enabled: bool):
        self.profiler = cProfile.Profile() if enabled else None

    def __enter__(self):
        if self.profiler:
            self.profiler.enable()

    def __exit__(self, *exc) -> None:
        if self.profiler:
            self.profiler.disable()
            stats = pstats.Stats(self.profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime"))
            stats.print_stats(int(os.environ.get("BENCH_LINES", "35")))


class Cpu:
    """CPU ms this process and PostgreSQL's backends for `database` use in a block."""

    def __init__(self, database: str):
        self.database = database
        self.app = self.db = 0.0

    def _now(self) -> tuple[float, float]:
        db = cpu_ms(pg_backends(self.database)) if self.database else 0.0
        return time.process_time() * 1000, db

    def __enter__(self):
        self.started = self._now()
        return self

    def __exit__(self, *exc) -> None:
        ended = self._now()
        self.app, self.db = (b - a for a, b in zip(self.started, ended, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--charges", type=int, default=5000)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed calls")
    args = parser.parse_args()
    database = configure(args.database, DB_NAME)

    from hms.audit.models import AuditEvent
    from hms.billing.models import Charge
    from hms.billing.services import capture_charge

    began = time.perf_counter()
    billing = set_up(patients=args.patients, items=args.items)
    analyze(args.database)
    print(
        f"charge capture on {args.database}: {args.items} items, {args.patients} patients "
        f"({sum(p.covered for p in billing.patients)} insured), set up in "
        f"{time.perf_counter() - began:.0f} s"
    )
    first_in_line()
    for order in orders(billing, 50, "warm"):  # imports, connections, caches
        capture_charge(actor=billing.clerk, **order)
    wanted = orders(billing, args.charges, "bench")
    events_before = AuditEvent.objects.count()
    latencies = []
    load = os.getloadavg()[0]
    with Cpu(database) as cpu, Profiled(args.profile):
        started = time.perf_counter()
        for order in wanted:
            begun = time.perf_counter()
            capture_charge(actor=billing.clerk, **order)
            latencies.append((time.perf_counter() - begun) * 1000)
        elapsed = time.perf_counter() - started
    made = Charge.objects.filter(source__startswith="bench:").count()
    audited = AuditEvent.objects.count() - events_before
    if made != args.charges or audited != args.charges:
        raise SystemExit(f"expected {args.charges} charges and events, got {made} and {audited}")
    rate = args.charges / elapsed
    met = rate >= TARGET_RATE or args.database != "postgres"
    print(
        f"  load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"\n{'database':<9} {'charges':>7} {'total s':>7} {'charges/s':>9} {'p50 ms':>6} "
        f"{'p95 ms':>6} {'p99 ms':>6} {'app cpu':>7} {'db cpu':>6}   target"
    )
    print(
        f"{args.database:<9} {args.charges:>7} {elapsed:>7.1f} {rate:>9.0f} "
        f"{percentile(latencies, 0.5):>6.2f} {percentile(latencies, 0.95):>6.2f} "
        f"{percentile(latencies, 0.99):>6.2f} {cpu.app / args.charges:>7.2f} "
        f"{f'{cpu.db / args.charges:.2f}' if database else '-':>6}   "
        f">= {TARGET_RATE}/s on postgres: {'ok' if met else 'MISSED'}"
    )
    print(
        "(per call; cpu: ms per charge of this process (on SQLite the database's work is "
        "in it) and of the PostgreSQL backend; every charge checked: one row, one audit event)"
    )
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
