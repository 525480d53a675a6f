"""Server time of the front desk's pages on a small registry (300 patients by default).

Usage: .venv/bin/python bench/front_desk_pages.py [--database sqlite|postgres]
       [--patients 300] [--repeat 40]

Patients are registered through the registration service (people from search_people.py),
then a signed-in receptionist's requests go through the whole Django stack (middleware,
view, selector, template, audit row) with the test client: the live search fragment for
each kind of query, the patient page, and the duplicates panel shown while typing.
UX.md's targets: search-as-you-type <= 100 ms, every page <= 150 ms.
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_frontdesk (created here).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import time

from procs import percentile
from search_people import national_phone, person, typo

PG_URL = "postgres://postgres@127.0.0.1:5432/hms_bench_frontdesk"
SEED = 20240607
TARGET_MS = {"search fragment": 100, "duplicates panel": 100, "patient page": 150}


def configure(database: str) -> None:
    os.environ["HMS_DATA_DIR"] = tempfile.mkdtemp(prefix="hms-bench-frontdesk-")
    if database == "postgres":
        for tool in ("dropdb", "createdb"):
            extra = ["--if-exists"] if tool == "dropdb" else []
            subprocess.run(  # noqa: S603
                [tool, "-h", "127.0.0.1", "-U", "postgres", *extra, "hms_bench_frontdesk"],  # noqa: S607
                check=True,
                stderr=subprocess.DEVNULL,
            )
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hms.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # Pages name their static files through the manifest, as in production.
    call_command("collectstatic", "--noinput", verbosity=0)


def load(patients: int):
    from hms.accounts.services import create_user
    from hms.core.models import Facility
    from hms.patients.inputs import IdentifierInput, PatientInput
    from hms.patients.services import register_patient

    facility = Facility.objects.create(name="Bench Hospital", code="BENCH", country="KE")
    clerk = create_user(
        actor=None,
        facility=facility,
        username="clerk",
        password="bench-password-123",
        roles=["receptionist"],
        skip_permission_checks=True,
    )
    started = time.perf_counter()
    registered = []
    for i in range(patients):
        p = person(SEED, i)
        data = PatientInput(
            given_name=p.given,
            middle_name=p.middle,
            family_name=p.family,
            sex=p.sex,
            birth_date=p.birth_date,
            phone=p.phone,
            identifiers=(IdentifierInput(system="national_id", value=p.national_id),),
        )
        patient = register_patient(
            actor=None,
            facility=facility,
            data=data,
            skip_permission_checks=True,
            check_duplicates=False,
        )
        registered.append((p, patient))
    return clerk, registered, time.perf_counter() - started


def requests(registered, repeat: int, rng: random.Random) -> dict[str, list[tuple]]:
    """(method, path, data) per kind of request, drawn from the registered people. The
    search and the panel are htmx fragments; the patient page is a whole page."""
    sample = [rng.choice(registered) for _ in range(repeat)]
    search = "/patients/"
    return {
        "search: name prefix": [("get", search, {"q": p.family[:4]}) for p, _ in sample],
        "search: two words": [("get", search, {"q": f"{p.given} {p.family}"}) for p, _ in sample],
        "search: typo": [
            ("get", search, {"q": f"{p.given} {typo(p.family, rng)}"}) for p, _ in sample
        ],
        "search: MRN": [("get", search, {"q": patient.mrn}) for _, patient in sample],
        "search: phone": [("get", search, {"q": national_phone(p.phone, rng)}) for p, _ in sample],
        "duplicates panel": [
            (
                "post",
                "/patients/new/check/",
                {
                    "given_name": p.given,
                    "family_name": p.family,
                    "birth": p.birth_date.strftime("%d/%m/%Y"),
                },
            )
            for p, _ in sample
        ],
        "patient page": [("get", f"/patients/{patient.external_id}/", {}) for _, patient in sample],
    }


def timed(client, calls: list[tuple]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per request. On a busy machine the wall clock
    mostly measures waiting for a CPU; the CPU time (SQLite runs in-process) is what the
    request costs."""
    wall, cpu = [], []
    for method, path, data in calls:
        is_page = path.startswith("/patients/") and path.count("/") == 3  # /patients/<id>/
        extra = {} if is_page else {"HTTP_HX_REQUEST": "true"}
        started, started_cpu = time.perf_counter(), time.process_time()
        response = getattr(client, method)(path, data, **extra)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{method} {path} {data} answered {response.status_code}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    configure(args.database)

    from django.test import Client

    from hms.accounts.testing import verified_session

    clerk, registered, seconds = load(args.patients)
    client = verified_session(Client(HTTP_HOST="localhost"), clerk)
    plan = requests(registered, args.repeat, random.Random(SEED))
    timed(client, [calls[0] for calls in plan.values()])  # warm the caches once

    print(f"\n{args.patients} patients on {args.database}, registered in {seconds:.1f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    header = ("request", "p50 ms", "p95 ms", "max ms", "CPU p50", "CPU p95", "target")
    print(f"{header[0]:<22}" + "".join(f"{h:>9}" for h in header[1:]))
    for kind, calls in plan.items():
        wall, cpu = timed(client, calls)
        target = TARGET_MS.get(kind.split(":")[0].replace("search", "search fragment"), "")
        figures = (
            statistics.median(wall),
            percentile(wall, 0.95),
            max(wall),
            statistics.median(cpu),
            percentile(cpu, 0.95),
        )
        print(f"{kind:<22}" + "".join(f"{x:>9.1f}" for x in figures) + f"{target:>9}")


if __name__ == "__main__":
    main()
