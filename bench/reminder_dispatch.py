"""Reminder dispatch: due reminders sent by `hms worker` processes through a local SMTP
server, each exactly once.

Usage: .venv/bin/python bench/reminder_dispatch.py [--database sqlite|postgres]
       [--messages 10000] [--patients 200] [--workers 1,2]

For each worker count, --messages email reminders are queued due a minute ago (through
hms.patients.messaging.queue_messages, to --patients consenting patients), then that many
`hms worker` processes start against the database (SQLite in a fresh data folder, or
postgres://postgres@127.0.0.1:5432/hms_bench_reminders, recreated) and send them to an
aiosmtpd server in this process, which counts what it receives per message reference.
Timed from the workers' start (their start-up included) to the last message received;
"sending" is from the first message received to the last. Afterwards: references received
twice (duplicates), never received (missing), and the outbox rows not "sent". CPU is
counted for the workers, PostgreSQL's backends, and this process (the SMTP server).
"""

from __future__ import annotations

import argparse
import atexit
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from procs import cpu_ms, cpu_ms_each, descendants, pg_backends, recreate_database

DB_NAME = "hms_bench_reminders"
TARGET_S = 60
REFERENCE = re.compile(rb"^X-HMS-Reference: (\S+)", re.MULTILINE)


def configure(database: str) -> dict[str, str]:
    env = {"HMS_DATA_DIR": tempfile.mkdtemp(prefix="hms-bench-remind-"), "HMS_SECRET_KEY": "bench"}
    atexit.register(shutil.rmtree, env["HMS_DATA_DIR"], ignore_errors=True)
    if database == "postgres":
        env["DATABASE_URL"] = recreate_database(DB_NAME)
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env, DJANGO_SETTINGS_MODULE="hms.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return env


class Inbox:
    """An SMTP server's handler counting messages by reference; cheap per message (no
    MIME parsing), as the server shares the machine with the workers."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.received = 0
        self.first = self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        found = REFERENCE.search(envelope.original_content or b"")
        with self.lock:
            self.last = time.monotonic()
            self.first = self.first or self.last
            self.received += 1
            self.counts[found.group(1).decode() if found else "?"] += 1
        return "250 Message accepted"


def serve_smtp(inbox: Inbox):
    import logging

    from aiosmtpd.controller import Controller

    from hms.patients.tests.smtp import free_port

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def run(env: dict, workers: int, expected: int, timeout: float) -> dict:
    """Start the workers, wait for every message, stop them; the figures of the run."""
    inbox = Inbox()
    controller, port = serve_smtp(inbox)
    worker_env = {
        **os.environ,
        **env,
        "HMS_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "HMS_EMAIL_HOST": "127.0.0.1",
        "HMS_EMAIL_PORT": str(port),
        "HMS_LOG_LEVEL": "WARNING",
    }
    database = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
    log = open(os.path.join(env["HMS_DATA_DIR"], "workers.log"), "a")  # noqa: SIM115
    started = time.monotonic()
    mine_before = cpu_ms({os.getpid()})
    processes = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "hms.cli", "worker", "--interval", "0.5"],
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(workers)
    ]
    worker_cpu: dict[int, float] = {}
    db_before = cpu_ms_each(pg_backends(database)) if database else {}
    db_cpu: dict[int, float] = {}
    try:
        while inbox.received < expected and time.monotonic() - started < timeout:
            time.sleep(0.2)
            for process in processes:
                worker_cpu.update(cpu_ms_each(descendants(process.pid)))
            if database:
                db_cpu.update(cpu_ms_each(pg_backends(database)))
        elapsed = (inbox.last or time.monotonic()) - started
        time.sleep(2)  # a late duplicate would arrive now
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        controller.stop()
        log.close()
    return {
        "workers": workers,
        "elapsed": elapsed,
        "sending": inbox.last - inbox.first if inbox.first else 0.0,
        "counts": inbox.counts,
        "worker_cpu": sum(worker_cpu.values()),
        "db_cpu": sum(db_cpu.values()) - sum(db_before.get(p, 0.0) for p in db_cpu),
        "smtp_cpu": cpu_ms({os.getpid()}) - mine_before,
    }


def check(prefix: str, count: int, counts: collections.Counter) -> tuple[int, int, dict]:
    """(duplicates, missing, outbox rows by status) for one run."""
    from hms.patients.models import OutboundMessage

    wanted = {f"{prefix}:{n}:email" for n in range(count)}
    duplicates = sum(1 for ref, seen in counts.items() if seen > 1)
    missing = len(wanted - set(counts))
    rows = OutboundMessage.objects.filter(reference__startswith=f"{prefix}:", channel="email")
    statuses = collections.Counter(rows.values_list("status", flat=True))
    return duplicates, missing, dict(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    env = configure(args.database)
    from hms.patients.tests.outbox import seed_due_messages

    rows = []
    for number, workers in enumerate(int(w) for w in args.workers.split(",")):
        prefix = f"run{number}"
        started = time.monotonic()
        seed_due_messages(args.messages, patients=args.patients, prefix=prefix)
        seeded = time.monotonic() - started
        outcome = run(env, workers, args.messages, args.timeout)
        rows.append((outcome, seeded, check(prefix, args.messages, outcome["counts"])))
    report(args, rows)


def report(args, rows: list) -> None:
    print(
        f"reminder dispatch, {args.database}, {args.messages} due email reminders to "
        f"{args.patients} patients, aiosmtpd on 127.0.0.1, on {os.cpu_count()} CPUs"
    )
    print(
        f"{'workers':>7} {'seeded s':>8} {'total s':>7} {'sending s':>9} {'msgs/s':>6} "
        f"{'received':>8} {'dupl.':>5} {'missing':>7} {'not sent':>8} "
        f"{'worker ms/msg':>13} {'db ms/msg':>9} {'smtp ms/msg':>11}"
    )
    failed = False
    for outcome, seeded, (duplicates, missing, statuses) in rows:
        received = sum(outcome["counts"].values())
        not_sent = sum(n for status, n in statuses.items() if status != "sent")
        per = max(received, 1)
        db = f"{outcome['db_cpu'] / per:.2f}" if args.database == "postgres" else "-"
        print(
            f"{outcome['workers']:>7} {seeded:>8.1f} {outcome['elapsed']:>7.1f} "
            f"{outcome['sending']:>9.1f} {received / max(outcome['sending'], 0.001):>6.0f} "
            f"{received:>8} {duplicates:>5} {missing:>7} {not_sent:>8} "
            f"{outcome['worker_cpu'] / per:>13.2f} {db:>9} {outcome['smtp_cpu'] / per:>11.2f}"
        )
        failed |= bool(duplicates or missing or not_sent)
        failed |= outcome["workers"] == 1 and outcome["elapsed"] > TARGET_S
    print(
        "total: from the workers' start (start-up included) to the last message received; "
        "sending: first to last message; cpu per message received: the workers, "
        "PostgreSQL's backends, this process (the SMTP server)"
    )
    print(f"target: {args.messages} reminders by one worker in <= {TARGET_S} s, each exactly once")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
