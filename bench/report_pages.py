"""Server time of the billing report pages on the demo hospital's data.

Usage: .venv/bin/python bench/report_pages.py [--database sqlite|postgres] [--repeat 30]
       [--user admin]

Loads the demo (hms demo's data: a month of billing, claims in every state, older
debts), then a signed-in supervisor's requests (the demo's admin, who sees every
cashier's takings; --user billing for the billing clerk) go through the whole Django stack
(middleware, view, selectors, template, audit) with the test client: each report page
with its default filters, and each page's chart, which the page loads as an image of
its own, kept in the cache once drawn ("chart") and drawn anew ("chart drawn", the
first request for new figures). UX.md's target: every page <= 150 ms.
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_reports (created here).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from procs import percentile, recreate_database

TARGET_MS = 150
REPORTS = ["collections", "aging", "claims", "revenue"]


def configure(database: str) -> None:
    os.environ["HMS_DATA_DIR"] = tempfile.mkdtemp(prefix="hms-bench-reports-")
    if database == "postgres":
        os.environ["DATABASE_URL"] = recreate_database("hms_bench_reports")
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hms.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # Pages name their static files through the manifest, as in production.
    call_command("collectstatic", "--noinput", verbosity=0)


def requests(client) -> dict[str, str]:
    """The path of each page and, where the page loads it as an image of its own, of
    its chart; with the page's default filters."""
    from django.urls import reverse

    found = {}
    for name in REPORTS:
        page = reverse(f"billing_reports:{name}")
        found[f"{name} page"] = page
        if "format=svg" in client.get(page).content.decode():
            found[f"{name} chart"] = f"{page}?format=svg"
            found[f"{name} chart drawn"] = f"{page}?format=svg"
    return found


def timed(client, path: str, repeat: int, *, fresh: bool = False):
    """Wall-clock and CPU milliseconds per request (on a busy machine the wall clock
    mostly measures waiting for a CPU; SQLite runs in-process, so CPU is the cost).
    `fresh` empties the cache first: a chart drawn, not one kept from before."""
    from django.core.cache import cache

    wall, cpu = [], []
    for _ in range(repeat):
        if fresh:
            cache.clear()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--user", default="admin")
    args = parser.parse_args()
    configure(args.database)

    from django.test import Client

    from hms.accounts.models import User
    from hms.accounts.session import FACILITY_SESSION_KEY
    from hms.accounts.testing import verified_session
    from hms.core.models import Facility
    from hms.web.demo import HOSPITAL, load_demo, use_demo_provider

    started = time.perf_counter()
    use_demo_provider()
    load_demo()
    seconds = time.perf_counter() - started
    client = verified_session(Client(HTTP_HOST="localhost"), User.objects.get(username=args.user))
    # The demo's admin works in the clinic too: read the hospital's books.
    session = client.session
    session[FACILITY_SESSION_KEY] = Facility.objects.get(code=HOSPITAL[0]).pk
    session.save()
    plan = requests(client)
    for path in plan.values():  # warm the caches and imports once
        timed(client, path, 1)

    print(f"\ndemo data on {args.database}, loaded in {seconds:.1f} s; {args.repeat} requests each")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    header = ("request", "p50 ms", "p95 ms", "max ms", "CPU p50", "CPU p95", "target")
    print(f"{header[0]:<24}" + "".join(f"{h:>9}" for h in header[1:]))
    for kind, path in plan.items():
        fresh = kind.endswith("drawn")
        if not fresh:
            timed(client, path, 1)  # kept from before: a "drawn" row emptied the cache
        wall, cpu = timed(client, path, args.repeat, fresh=fresh)
        figures = (
            statistics.median(wall),
            percentile(wall, 0.95),
            max(wall),
            statistics.median(cpu),
            percentile(cpu, 0.95),
        )
        print(f"{kind:<24}" + "".join(f"{x:>9.1f}" for x in figures) + f"{TARGET_MS:>9}")


if __name__ == "__main__":
    main()
