"""Server time of the scheduling pages at a busy department: the day view of 30 doctors
whose days are fully booked.

Usage: .venv/bin/python bench/day_view.py [--database sqlite|postgres]
       [--doctors 30] [--repeat 40]

A facility (BENCH, Africa/Nairobi) with one outpatient department of --doctors doctors,
each seeing patients on weekdays 08:00-12:00 and 14:00-17:00 in 15-minute slots (28 a
day), materialised by services.materialise. On the next weekday every slot is booked
through services.book_appointment, each for its own patient (registered through the
registration service): 840 appointments for 30 doctors. A signed-in receptionist's
requests then go through the whole Django stack (middleware, view, reads, template)
with the test client: the department's day view, its week view, one doctor's day and
week, and the check-in desk. UX.md's target: every page <= 150 ms.
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_day_view (recreated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
import zoneinfo

from procs import first_in_line, percentile, recreate_database

DB_NAME = "hms_bench_day_view"
TARGET_MS = 150
SESSIONS = [(dt.time(8), dt.time(12)), (dt.time(14), dt.time(17))]


def configure(database: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="hms-bench-dayview-")
    import atexit

    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ.update(
        HMS_DATA_DIR=data_dir, HMS_SECRET_KEY="bench", DJANGO_SETTINGS_MODULE="hms.settings"
    )
    if database == "postgres":
        os.environ["DATABASE_URL"] = recreate_database(DB_NAME)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # Pages name their static files through the manifest, as in production.
    call_command("collectstatic", "--noinput", verbosity=0)


def next_weekday(today: dt.date) -> dt.date:
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def set_up(doctors: int):
    """The facility, its department and doctors, a fully booked day; returns (clerk,
    the day, one doctor)."""
    from django.db import transaction
    from django.utils import timezone

    from hms.accounts import services as accounts
    from hms.core.models import Department, Facility
    from hms.patients.inputs import PatientInput
    from hms.patients.services import register_patient
    from hms.scheduling import services
    from hms.scheduling.models import Room, Schedule, Slot
    from hms.staff.models import Practitioner

    facility = Facility.objects.create(
        name="Bench Hospital", code="BENCH", country="KE", timezone="Africa/Nairobi"
    )
    department = Department.objects.create(
        facility=facility, code="OPD", name="Outpatients", kind=Department.Kind.OUTPATIENT
    )
    clerk = accounts.create_user(
        actor=None,
        facility=facility,
        username="bench-clerk",
        password="bench-password-long-enough-1",
        roles=["receptionist"],
        skip_permission_checks=True,
    )
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(facility.timezone))
    day = next_weekday(today)
    staff = []
    for number in range(doctors):
        room = Room.objects.create(
            facility=facility, department=department, code=f"R{number}", name=f"Room {number}"
        )
        doctor = Practitioner.objects.create(
            facility=facility,
            title="Dr",
            given_name="Bench",
            family_name=f"Doctor {number:03d}",
            search_name=f"bench doctor {number:03d}",
            department=department,
        )
        staff.append(doctor)
        for weekday in range(5):
            for start, end in SESSIONS:
                schedule = Schedule.objects.create(
                    facility=facility,
                    practitioner=doctor,
                    room=room,
                    weekday=weekday,
                    starts_at=start,
                    ends_at=end,
                    slot_minutes=15,
                    valid_from=today,
                )
                with transaction.atomic():
                    services.materialise(schedule, until=day + dt.timedelta(days=7))
    slots = Slot.objects.filter(
        schedule__facility=facility,
        starts_at__date__gte=day - dt.timedelta(days=1),
        starts_at__date__lte=day + dt.timedelta(days=1),
    ).select_related("schedule__facility", "practitioner", "room")
    zone = zoneinfo.ZoneInfo(facility.timezone)
    booked = 0
    for number, slot in enumerate(s for s in slots if s.starts_at.astimezone(zone).date() == day):
        patient = register_patient(
            actor=None,
            facility=facility,
            data=PatientInput(
                given_name="Bench", family_name=f"Patient {number:04d}", sex="female"
            ),
            skip_permission_checks=True,
            check_duplicates=False,
        )
        services.book_appointment(actor=clerk, patient=patient, slot=slot, kind="follow_up")
        booked += 1
    return clerk, day, staff[0], booked


def timed(client, path: str, query: dict, repeat: int) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU ms per request, and the page's size."""
    response = client.get(path, query)  # warm the caches once
    if response.status_code != 200:
        raise SystemExit(f"GET {path} {query} answered {response.status_code}")
    wall, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        client.get(path, query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return wall, cpu, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--doctors", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    configure(args.database)

    from django.test import Client

    from hms.accounts.testing import verified_session

    began = time.perf_counter()
    clerk, day, doctor, booked = set_up(args.doctors)
    if args.database == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"\nday view on {args.database}: {args.doctors} doctors in one department, "
        f"{booked} appointments on {day:%a %d %b %Y}, set up in "
        f"{time.perf_counter() - began:.0f} s"
    )
    first_in_line()
    client = verified_session(Client(HTTP_HOST="localhost"), clerk)
    date = day.isoformat()
    pages = {
        "department day": ("/appointments/", {"show": "department:OPD", "date": date}),
        "department week": (
            "/appointments/",
            {"show": "department:OPD", "date": date, "span": "week"},
        ),
        "doctor day": ("/appointments/", {"show": f"doctor:{doctor.external_id}", "date": date}),
        "doctor week": (
            "/appointments/",
            {"show": f"doctor:{doctor.external_id}", "date": date, "span": "week"},
        ),
        "check-in desk (today)": ("/queue/desk/", {}),
    }
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'page':<22}{'KiB':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'CPU p50':>9}{'CPU p95':>9}   p95 <= {TARGET_MS} ms"
    )
    met = True
    for name, (path, query) in pages.items():
        wall, cpu, size = timed(client, path, query, args.repeat)
        p95 = percentile(wall, 0.95)
        met &= p95 <= TARGET_MS
        print(
            f"{name:<22}{size / 1024:>6.0f}{statistics.median(wall):>9.1f}{p95:>9.1f}"
            f"{max(wall):>9.1f}{statistics.median(cpu):>9.1f}{percentile(cpu, 0.95):>9.1f}"
            f"   {'ok' if p95 <= TARGET_MS else 'MISSED'}"
        )
    print("(ms, through the whole Django stack with the test client, in this process)")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
