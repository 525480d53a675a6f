"""Finding free slots: "the next 10 free slots for a specialty" across 100 doctors with
6 months of schedules.

Usage: .venv/bin/python bench/free_slots.py [--database sqlite|postgres]
       [--practitioners 100] [--queries 200] [--explain] [--analyze]

A facility (BENCH, Africa/Nairobi) with --practitioners doctors over 5 specialties (one
in ten has a second), each seeing patients on weekdays 08:00-12:00 (a break at 10:00,
the last slot held for emergencies) and 14:00-17:00 in 15-minute slots. The sessions
are written as rows; their slots are made by services.materialise up to 183 days ahead
(100 doctors: about 360,000 slots). Already booked: 70% of the slots in the first four
weeks, 40% in the next four, 10% after that (an UPDATE of `booked`); five doctors are
on leave for two weeks and one day is a public holiday (services.add_block).
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_sched_slots (recreated),
analysed after the load as autovacuum would; SQLite a fresh file, analysed only with
--analyze (hms does not run ANALYZE on SQLite: its planner has no statistics).

Each query asks for one specialty's next 10 free slots after a time: --queries each
from now (within the next half hour), from a time in the first four weeks, and from a
time anywhere in the six months; then as many for any doctor's next 10 from now. Timed
through selectors.next_free_slots and through
GET /api/v1/slots/?specialty=...&after=...&limit=10 (Django's test Client with a
receptionist's bearer token, in this process). Prints wall-clock and CPU p50 / p95 per
kind and door; --explain prints the database's plans of the selector's queries from now.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import random
import re
import shutil
import sys
import tempfile
import time
import zoneinfo

from procs import first_in_line, recreate_database

DB_NAME = "hms_bench_sched_slots"
SEED = 20240601
DAYS_AHEAD = 183
SPECIALTIES = [
    ("GENMED", "General medicine"),
    ("PAED", "Paediatrics"),
    ("OBGYN", "Obstetrics and gynaecology"),
    ("SURG", "General surgery"),
    ("ORTHO", "Orthopaedics"),
]
SESSIONS = [  # (start, end, break, emergency slots)
    (dt.time(8, 0), dt.time(12, 0), [["10:00", "10:15"]], 1),
    (dt.time(14, 0), dt.time(17, 0), [], 0),
]
BOOKED_SHARE = [(28, 0.7), (56, 0.4), (DAYS_AHEAD + 1, 0.1)]  # (up to day, share)
TARGET_MS = 50


def configure(database: str) -> None:
    os.environ.update(
        HMS_DATA_DIR=tempfile.mkdtemp(prefix="hms-bench-sched-"),
        HMS_SECRET_KEY="bench",
        DJANGO_SETTINGS_MODULE="hms.settings",
    )
    atexit.register(shutil.rmtree, os.environ["HMS_DATA_DIR"], ignore_errors=True)
    if database == "postgres":
        os.environ["DATABASE_URL"] = recreate_database(DB_NAME)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def set_up(practitioners: int):
    """The facility, its doctors and their slots; returns (facility, clerk's token)."""
    from django.db import transaction
    from django.utils import timezone

    from hms.accounts import services as accounts
    from hms.core.models import Facility
    from hms.scheduling import services
    from hms.scheduling.models import Schedule
    from hms.staff.models import Practitioner, Specialty

    facility = Facility.objects.create(
        name="Bench Hospital", code="BENCH", country="KE", timezone="Africa/Nairobi"
    )
    users = {
        role: accounts.create_user(
            actor=None,
            facility=facility,
            username=f"bench-{role}",
            password="bench-password-long-enough-1",
            roles=[role],
            skip_permission_checks=True,
        )
        for role in ("admin", "receptionist")
    }
    _, token = accounts.issue_token(
        actor=None, user=users["receptionist"], name="bench", days=1, skip_permission_checks=True
    )
    specialties = [Specialty.objects.create(code=c, name=n) for c, n in SPECIALTIES]
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(facility.timezone))
    doctors = []
    for number in range(practitioners):
        doctor = Practitioner.objects.create(
            facility=facility,
            title="Dr",
            given_name="Bench",
            family_name=f"Doctor {number:03d}",
            search_name=f"bench doctor {number:03d}",
        )
        doctor.specialties.add(specialties[number % len(specialties)])
        if number % 10 == 9:
            doctor.specialties.add(specialties[(number + 1) % len(specialties)])
        doctors.append(doctor)
    schedules = Schedule.objects.bulk_create(
        Schedule(
            facility=facility,
            practitioner=doctor,
            weekday=weekday,
            starts_at=start,
            ends_at=end,
            slot_minutes=15,
            emergency_slots=emergency,
            breaks=breaks,
            valid_from=today,
        )
        for doctor in doctors
        for weekday in range(5)
        for start, end, breaks, emergency in SESSIONS
    )
    for schedule in schedules:
        with transaction.atomic():
            services.materialise(schedule, until=today + dt.timedelta(days=DAYS_AHEAD))
    book_share(facility, today)
    block(facility, users["admin"], doctors, today)
    return facility, token


def book_share(facility, today: dt.date) -> None:
    """Mark slots booked (booked = capacity), a share of them per period."""
    from django.db import transaction

    from hms.scheduling import times
    from hms.scheduling.models import Slot

    rng = random.Random(SEED)
    zone = zoneinfo.ZoneInfo(facility.timezone)
    since = times.at(today, dt.time(0), zone)
    full = []
    for (begin, end), share in _periods(since):
        ids = Slot.objects.filter(
            schedule__facility=facility, starts_at__gte=begin, starts_at__lt=end
        ).values_list("pk", flat=True)
        full.extend(pk for pk in ids.iterator(chunk_size=5000) if rng.random() < share)
    with transaction.atomic():
        for at in range(0, len(full), 500):
            Slot.objects.filter(pk__in=full[at : at + 500]).update(booked=1)


def _periods(since: dt.datetime):
    begun = 0
    for until, share in BOOKED_SHARE:
        yield (since + dt.timedelta(days=begun), since + dt.timedelta(days=until)), share
        begun = until


def block(facility, admin, doctors, today: dt.date) -> None:
    """Five doctors on leave for two weeks from day 10; a public holiday on day 40."""
    from hms.scheduling import services, times

    zone = zoneinfo.ZoneInfo(facility.timezone)

    def day(offset: int) -> dt.datetime:
        return times.at(today + dt.timedelta(days=offset), dt.time(0), zone)

    for doctor in doctors[3::20][:5]:
        services.add_block(
            actor=admin,
            facility=facility,
            practitioner=doctor,
            kind="leave",
            starts_at=day(10),
            ends_at=day(24),
            reason="Annual leave",
        )
    services.add_block(
        actor=admin,
        facility=facility,
        kind="holiday",
        starts_at=day(40),
        ends_at=day(41),
        reason="Public holiday",
    )


def counts(facility) -> tuple[int, int, int]:
    """(slots, booked, blocked)."""
    from hms.scheduling.models import Slot

    slots = Slot.objects.filter(schedule__facility=facility)
    return (
        slots.count(),
        slots.filter(booked__gt=0).count(),
        slots.exclude(blocked_reason="").count(),
    )


def analyze(database: str, sqlite_too: bool) -> None:
    if database == "postgres" or sqlite_too:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


KINDS = {  # what the clerk asks: from a time drawn in the next so many days, a specialty?
    "from now": (0.02, True),
    "in 4 weeks": (28, True),
    "in 6 months": (DAYS_AHEAD - 3, True),
    "any, now": (0.02, False),
}


def queries(count: int) -> dict[str, list[tuple[str | None, dt.datetime]]]:
    """(specialty, after) by kind of question."""
    from django.utils import timezone

    rng = random.Random(SEED + 1)
    now = timezone.now()
    found = {}
    for kind, (days, by_specialty) in KINDS.items():
        found[kind] = []
        for _ in range(count):
            specialty = rng.choice(SPECIALTIES)[0] if by_specialty else None
            after = now + dt.timedelta(seconds=rng.randrange(int(days * 86400)))
            found[kind].append((specialty, after.replace(microsecond=0)))
    return found


def backend_cpu_ms(pid: int) -> float:
    """CPU time the PostgreSQL backend has used so far, in ms (clock ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        utime, stime = stat.read().rsplit(")", 1)[1].split()[11:13]
    return (int(utime) + int(stime)) * 1000 / os.sysconf("SC_CLK_TCK")


def timed(run, asked: list, backend: int | None) -> tuple[list, list, float | None, int]:
    """Wall-clock and this process's CPU ms per query, the backend's CPU ms per query
    on average (it is counted in clock ticks), and how many queries found 10 slots."""
    for specialty, after in asked[:10]:
        run(specialty, after)  # warm caches and connections
    wall, cpu, full = [], [], 0
    db_started = backend_cpu_ms(backend) if backend else 0.0
    for specialty, after in asked:
        started, used = time.perf_counter(), time.process_time()
        full += run(specialty, after) == 10
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    db_cpu = (backend_cpu_ms(backend) - db_started) / len(asked) if backend else None
    return wall, cpu, db_cpu, full


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share + 0.5) - 1)]


def explain(facility, database: str, question: tuple[str | None, dt.datetime]) -> None:
    """The plans of the selector's queries for one (specialty, after)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hms.scheduling.selectors import next_free_slots

    specialty, after = question
    with CaptureQueriesContext(connection) as captured:
        next_free_slots(facility=facility, specialty=specialty, after=after, limit=10)
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if database == "postgres" else "EXPLAIN QUERY PLAN "
    for query in captured.captured_queries:
        sql = query["sql"]
        print("\n" + re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql))  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("  " + " | ".join(str(cell) for cell in row))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--practitioners", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200, help="per kind")
    parser.add_argument("--explain", action="store_true", help="print the selector's plans")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE on SQLite too")
    args = parser.parse_args()
    configure(args.database)

    from django.test import Client

    from hms.scheduling.selectors import next_free_slots

    began = time.perf_counter()
    facility, token = set_up(args.practitioners)
    analyze(args.database, args.analyze)
    slots, booked, blocked = counts(facility)
    print(
        f"free slots on {args.database}: {args.practitioners} practitioners, "
        f"{len(SPECIALTIES)} specialties, {slots:,} slots ({booked:,} booked, "
        f"{blocked:,} blocked) over {DAYS_AHEAD} days"
        f"{', analysed' if args.database == 'postgres' or args.analyze else ''}, set up in "
        f"{time.perf_counter() - began:.0f} s"
    )
    asked = queries(args.queries)
    if args.explain:
        for kind in ("from now", "any, now"):
            explain(facility, args.database, asked[kind][0])
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")

    def by_selector(specialty: str | None, after: dt.datetime) -> int:
        return len(next_free_slots(facility=facility, specialty=specialty, after=after, limit=10))

    def over_http(specialty: str | None, after: dt.datetime) -> int:
        query = {"after": after.isoformat(), "limit": 10}
        if specialty:
            query["specialty"] = specialty
        response = client.get("/api/v1/slots/", query)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.content[:300]!r}")
        return len(response.json())

    pids = first_in_line()
    backend = pids[1] if len(pids) > 1 else None
    load = os.getloadavg()[0]
    doors = {"selector": by_selector, "GET /api/v1/slots/": over_http}
    rows = [
        (kind, door, *timed(run, asked[kind], backend))
        for kind in KINDS
        for door, run in doors.items()
    ]
    print(
        f"  load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs"
    )
    sys.exit(0 if report(rows) else 1)


def report(rows: list) -> bool:
    """Print the table; whether every p95 meets the target."""
    print(
        f"\n{'after':<12} {'door':<19} {'queries':>7} {'full':>5}  {'wall p50':>8} "
        f"{'wall p95':>8} {'wall max':>8}  {'cpu p50':>7} {'cpu p95':>7} {'db cpu':>6}"
        f"   p95 <= {TARGET_MS} ms"
    )
    met = True
    for kind, door, wall, cpu, db_cpu, full in rows:
        p95 = percentile(wall, 0.95)
        met &= p95 <= TARGET_MS
        print(
            f"{kind:<12} {door:<19} {len(wall):>7} {full:>5}  {percentile(wall, 0.5):>8.1f} "
            f"{p95:>8.1f} {max(wall):>8.1f}  {percentile(cpu, 0.5):>7.1f} "
            f"{percentile(cpu, 0.95):>7.1f} {'-' if db_cpu is None else f'{db_cpu:.1f}':>6}   "
            f"{'ok' if p95 <= TARGET_MS else 'MISSED'}"
        )
    print(
        "(ms; full: queries that found 10 free slots; cpu: this process's CPU per query "
        "(on SQLite the database's work is in it); db cpu: the PostgreSQL backend's, mean)"
    )
    return met


if __name__ == "__main__":
    main()
