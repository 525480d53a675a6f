"""Audit-trail append throughput: every audited write takes the chain head's row lock.

Usage: .venv/bin/python bench/audit_append.py [--database sqlite|postgres] [--events 2000]
       [--threads 1,4,8]
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench (created and migrated here).
Prints events/s, p50 and p95 latency per thread count, then verifies the chain.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PG_URL = "postgres://postgres@127.0.0.1:5432/hms_bench"


def configure(database: str) -> None:
    os.environ["HMS_DATA_DIR"] = tempfile.mkdtemp(prefix="hms-bench-")
    if database == "postgres":
        for tool in ("dropdb", "createdb"):
            extra = ["--if-exists"] if tool == "dropdb" else []
            subprocess.run(  # noqa: S603
                [tool, "-h", "127.0.0.1", "-U", "postgres", *extra, "hms_bench"],  # noqa: S607
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


def run(threads: int, events: int) -> tuple[float, float, float]:
    from django.db import connection

    from hms.audit.services import Action, record_event

    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = events // threads

    def worker() -> None:
        mine = []
        for i in range(per_thread):
            started = time.perf_counter()
            record_event(
                action=Action.READ, username="bench", object_type="bench.Row", object_id=str(i)
            )
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p95 * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--threads", default="1,4,8")
    args = parser.parse_args()
    configure(args.database)
    from hms.audit.selectors import verify_chain

    print(f"audit append on {args.database}, {args.events} events per row")
    print(f"{'threads':>7}  {'events/s':>9}  {'p50 ms':>7}  {'p95 ms':>7}")
    for threads in (int(t) for t in args.threads.split(",")):
        rate, p50, p95 = run(threads, args.events)
        print(f"{threads:>7}  {rate:>9.0f}  {p50:>7.2f}  {p95:>7.2f}")
    report = verify_chain()
    print(f"chain {'intact' if report.ok else 'BROKEN'}: {report.checked} events verified")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
