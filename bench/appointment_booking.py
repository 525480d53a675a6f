"""Booking throughput: clerks booking at once through POST /api/v1/appointments/.

Usage: .venv/bin/python bench/appointment_booking.py [--database sqlite|postgres]
       [--mode client|server] [--clients 8] [--workers 2] [--threads 1]
       [--requests 2000] [--window 40] [--hot 3] [--profile] [--py-spy FILE]

A facility (BENCH) with 20 practitioners, each seeing patients on weekdays 08:00-12:00
and 14:00-17:00 in 15-minute slots (sessions added by services.add_schedule, which
creates the slots with services.materialise), 300 registered patients, and one
receptionist with an API token per client. PostgreSQL uses
postgres://postgres@127.0.0.1:5432/hms_bench_sched_booking (recreated).

Each client books one patient after another, as a clerk does looking at the list of
the next free slots: it picks at random one of the first --window slots that no answer
has reported full yet, so two clients sometimes pick the same slot and the later one
gets 409 SLOT_TAKEN (with the next free slots of that practitioner). Two scenarios run
one after the other, --requests requests each: "spread" (--window slots to choose from)
and "hot" (every client goes for the same --hot next free slots). 201 and 409 answers
are counted apart; anything else is an error. At the end, every slot must hold as many live
appointments (booked or arrived) as its `booked` count, and no more than its capacity.

--mode client (default) sends the requests through Django's test Client, one thread per
client, in this process (one GIL: the clients share one core's worth of Python).
--mode server starts `hms serve` (gunicorn, --workers processes of --threads threads)
and each client posts over HTTP with a new connection per request. CPU time is counted
per request for the application, PostgreSQL's backends and the clients: on 2 cores,
2000 / (their sum) requests/s is the ceiling. --profile runs cProfile (client mode, one
client); --py-spy samples the server's workers during the spread scenario and prints
the functions most often on their stacks.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import cProfile
import datetime as dt
import http.client
import json
import os
import pstats
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from dataclasses import dataclass, field

from procs import cpu_ms_each, descendants, pg_backends, recreate_database

DB_NAME = "hms_bench_sched_booking"
PRACTITIONERS = 20
PATIENTS = 300
SESSIONS = [((8, 0), (12, 0)), ((14, 0), (17, 0))]
SPECIALTIES = [("GENMED", "General medicine"), ("PAED", "Paediatrics"), ("OBGYN", "Obstetrics")]
TARGET = {"bookings_per_s": 150, "p95_ms": 80}
GIVEN = ["Amina", "Baraka", "Chebet", "Daudi", "Esther", "Faith", "Grace", "Halima", "Imani"]
FAMILY = ["Achieng", "Barasa", "Cheruiyot", "Kiprono", "Langat", "Maina", "Odhiambo", "Wafula"]


def configure(database: str) -> dict[str, str]:
    env = {
        "HMS_DATA_DIR": tempfile.mkdtemp(prefix="hms-bench-sched-"),
        "HMS_SECRET_KEY": "bench",
    }
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


@dataclass
class Clinic:
    facility: object
    tokens: list[str]
    patients: list[str]  # external ids
    slots: list[int]  # bookable slot ids in time order


def set_up(clients: int) -> Clinic:
    """The facility, its practitioners' weekly sessions, patients, and the clerks."""
    from django.utils import timezone

    from hms.accounts import services as accounts
    from hms.core.models import Facility
    from hms.patients.testing import registered
    from hms.scheduling import services
    from hms.scheduling.models import Slot
    from hms.staff.models import Practitioner, Specialty

    facility = Facility.objects.create(
        name="Bench Hospital", code="BENCH", country="KE", timezone="Africa/Nairobi"
    )

    def user(username: str, role: str):
        return accounts.create_user(
            actor=None,
            facility=facility,
            username=username,
            password="bench-password-long-enough-1",
            roles=[role],
            skip_permission_checks=True,
        )

    admin = user("bench-admin", "admin")
    tokens = []
    for number in range(clients):
        _, raw = accounts.issue_token(
            actor=None,
            user=user(f"bench-clerk-{number}", "receptionist"),
            name="bench",
            days=1,
            skip_permission_checks=True,
        )
        tokens.append(raw)

    specialties = [Specialty.objects.create(code=c, name=n) for c, n in SPECIALTIES]
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(facility.timezone))
    tomorrow = today + dt.timedelta(days=1)
    rng = random.Random(11)
    for number in range(PRACTITIONERS):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        doctor = Practitioner.objects.create(
            facility=facility,
            title="Dr",
            given_name=given,
            family_name=f"{family} {number}",
            search_name=f"{given} {family} {number}".lower(),
        )
        doctor.specialties.add(specialties[number % len(specialties)])
        for weekday in range(5):
            for (h0, m0), (h1, m1) in SESSIONS:
                services.add_schedule(
                    actor=admin,
                    practitioner=doctor,
                    weekday=weekday,
                    starts_at=dt.time(h0, m0),
                    ends_at=dt.time(h1, m1),
                    slot_minutes=15,
                    valid_from=tomorrow,
                )
    patients = [
        str(
            registered(
                facility,
                given_name=rng.choice(GIVEN),
                family_name=rng.choice(FAMILY),
                birth_date=dt.date(1950 + rng.randrange(70), rng.randrange(1, 13), 1),
            ).external_id
        )
        for _ in range(PATIENTS)
    ]
    slots = list(
        Slot.objects.filter(schedule__facility=facility, is_emergency=False)
        .order_by("starts_at", "practitioner_id")
        .values_list("pk", flat=True)
    )
    return Clinic(facility, tokens, patients, slots)


def analyze(database: str) -> None:
    """Planner statistics, as autovacuum keeps them on a live database."""
    if database == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Board:
    """The next free slots in time order, as the answers so far have shown them. A
    client picks one of the first `window` at random; a 201 or a 409 takes it off."""

    def __init__(self, slots: list[int]):
        self.slots = slots
        self.head = 0
        self.full: set[int] = set()
        self.lock = threading.Lock()

    def pick(self, rng: random.Random, window: int) -> int:
        with self.lock:
            while self.slots[self.head] in self.full:
                self.head += 1
            shown = []
            for slot in self.slots[self.head :]:
                if slot not in self.full:
                    shown.append(slot)
                    if len(shown) == window:
                        break
            return rng.choice(shown)

    def taken(self, slot: int) -> None:
        with self.lock:
            self.full.add(slot)


class InProcess:
    """Django's test Client: the full request path, no socket."""

    def __init__(self, token: str):
        from django.test import Client

        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")

    def post(self, body: dict) -> tuple[int, bytes]:
        response = self.client.post(
            "/api/v1/appointments/", json.dumps(body), content_type="application/json"
        )
        return response.status_code, response.content

    def close(self) -> None:
        from django.db import connection

        connection.close()  # this thread's


class LiveServer:
    """`hms serve`: gunicorn with `workers` processes of `threads` threads each."""

    def __init__(self, env: dict[str, str], workers: int, threads: int):
        from django.db import connections

        connections.close_all()  # the server opens its own
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "hms.cli", "serve", "--no-collectstatic"]
        options = ["--port", str(self.port), "--workers", str(workers), "--threads", str(threads)]
        self.process = subprocess.Popen(  # noqa: S603
            command + options,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(400):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("hms serve did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class ServerClient:
    """A clerk's browser: one request at a time, each on a new connection."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Connection": "close",
        }

    def post(self, body: dict) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", "/api/v1/appointments/", json.dumps(body), self.headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def close(self) -> None:
        pass


@dataclass
class Outcome:
    elapsed: float = 0.0
    booked: list[float] = field(default_factory=list)  # seconds, per 201
    taken: list[float] = field(default_factory=list)  # per 409 SLOT_TAKEN
    errors: list[str] = field(default_factory=list)


def run(clients: list, board: Board, patients: list[str], requests: int, window: int) -> Outcome:
    """All clients at once, `requests` in all, each client's one after another."""
    outcome = Outcome()
    lock = threading.Lock()
    shares = [requests // len(clients) + (i < requests % len(clients)) for i in range(len(clients))]

    def work(number: int) -> None:
        client, rng = clients[number], random.Random(number)
        booked, taken, errors = [], [], []
        for _ in range(shares[number]):
            slot = board.pick(rng, window)
            body = {"patient": rng.choice(patients), "slot": slot}
            begun = time.perf_counter()
            status, content = client.post(body)
            spent = time.perf_counter() - begun
            if status == 201:
                booked.append(spent)
                board.taken(slot)
            elif status == 409 and json.loads(content).get("code") == "SLOT_TAKEN":
                taken.append(spent)
                board.taken(slot)
            else:
                errors.append(f"{status}: {content[:300]!r}")
        with lock:
            outcome.booked.extend(booked)
            outcome.taken.extend(taken)
            outcome.errors.extend(errors)

    started = time.perf_counter()
    if len(clients) == 1:
        work(0)  # in this thread, where the profiler runs
    else:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    outcome.elapsed = time.perf_counter() - started
    return outcome


def percentile(values: list[float], share: float) -> float:
    """Milliseconds; nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share + 0.5) - 1)] * 1000


def check_slots(facility) -> tuple[int, int, int]:
    """(slots whose live appointments exceed the capacity or differ from `booked`,
    live appointments, slots checked)."""
    from django.db.models import Count, F, Q

    from hms.scheduling.models import Appointment, Slot

    live = Count("appointments", filter=Q(appointments__status__in=Appointment.LIVE))
    slots = Slot.objects.filter(schedule__facility=facility).annotate(live=live)
    wrong = slots.filter(Q(live__gt=F("capacity")) | ~Q(live=F("booked"))).count()
    appointments = Appointment.objects.filter(
        facility=facility, status__in=Appointment.LIVE
    ).count()
    return wrong, appointments, slots.count()


class CpuMeter:
    """CPU ms used by the application (the server's processes, or this one in client
    mode), by PostgreSQL's backends serving it, and by this process (the clients).

    Read every quarter second while a scenario runs: a server worker or a backend that
    ends half-way (connections are closed after HMS_DB_CONN_MAX_AGE) keeps what it was
    last seen to have used, and one that starts half-way counts from zero."""

    def __init__(self, server: LiveServer | None):
        self.server = server
        self.stop = threading.Event()

    def _read(self) -> dict[str, dict[int, float]]:
        app = descendants(self.server.process.pid) if self.server else set()
        return {"app": cpu_ms_each(app), "db": cpu_ms_each(pg_backends(DB_NAME))}

    def __enter__(self) -> CpuMeter:
        self.first = self._read()
        self.last = {kind: dict(pids) for kind, pids in self.first.items()}
        self.own = time.process_time()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self) -> None:
        while not self.stop.wait(0.25):
            for kind, pids in self._read().items():
                self.last[kind].update(pids)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        for kind, pids in self._read().items():
            self.last[kind].update(pids)
        own = (time.process_time() - self.own) * 1000
        used = {
            kind: sum(ms - self.first[kind].get(pid, 0.0) for pid, ms in pids.items())
            for kind, pids in self.last.items()
        }
        self.app, self.db, self.clients = (
            (used["app"], used["db"], own) if self.server else (own, used["db"], 0.0)
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--mode", choices=["client", "server"], default="client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="server mode: gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="server mode: threads/worker")
    parser.add_argument("--requests", type=int, default=2000, help="per scenario")
    parser.add_argument("--window", type=int, default=40, help="spread: slots to pick from")
    parser.add_argument("--hot", type=int, default=3, help="hot: slots every client targets")
    parser.add_argument("--profile", action="store_true", help="cProfile, client mode, 1 client")
    parser.add_argument("--py-spy", metavar="FILE", help="server mode: py-spy the spread run")
    args = parser.parse_args()

    env = configure(args.database)
    began = time.perf_counter()
    clinic = set_up(args.clients)
    analyze(args.database)
    setup_s = time.perf_counter() - began
    server = LiveServer(env, args.workers, args.threads) if args.mode == "server" else None
    clients = [
        ServerClient(server.port, token) if server else InProcess(token) for token in clinic.tokens
    ]
    try:
        warm_up, rows = measure(args, clinic, server, clients)
    finally:
        for client in clients:
            client.close()
        if server:
            server.close()
    where = (
        f"hms serve, {args.workers} worker(s) x {args.threads} thread(s)"
        if server
        else "in-process test Client, one thread per client"
    )
    print(
        f"appointment booking, {args.database}, {args.clients} clients, {where}; "
        f"{len(clinic.slots)} slots, {PATIENTS} patients, set up in {setup_s:.0f} s"
    )
    if not report(rows, server is not None, clinic, len(warm_up.booked)):
        raise SystemExit(1)


def measure(args, clinic: Clinic, server: LiveServer | None, clients: list) -> tuple:
    """The warm-up's outcome, and a row per scenario."""
    board = Board(clinic.slots)
    profiler = cProfile.Profile() if args.profile and not server and args.clients == 1 else None
    warm_up = run(clients, board, clinic.patients, 20 * args.clients, args.window)
    rows = []
    for scenario, window in (("spread", args.window), ("hot", args.hot)):
        load = os.getloadavg()[0]
        spying = server and args.py_spy and scenario == "spread"
        spy = PySpy(server, args.py_spy) if spying else None
        with CpuMeter(server) as meter:
            if profiler:
                profiler.enable()
            outcome = run(clients, board, clinic.patients, args.requests, window)
            if profiler:
                profiler.disable()
        if spy:
            spy.finish()
        cpu = [used / args.requests for used in (meter.app, meter.db, meter.clients)]
        rows.append((scenario, window, outcome, cpu, (load, os.getloadavg()[0])))
    if profiler:
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
        stats.print_stats(40)
    return warm_up, rows


def report(rows: list, server: bool, clinic: Clinic, warm_up_booked: int) -> bool:
    """Print the table and the check of every slot; whether all went as it should."""
    print(
        f"{'scenario':>8} {'window':>6} {'requests':>8} {'201':>5} {'409':>5} {'other':>5} "
        f"{'bookings/s':>10} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'409 p95':>7} {'app cpu':>7} {'db cpu':>6} {'clients':>7} {'load':>9}"
    )
    errors = []
    for scenario, window, outcome, (app, db, own), (load, load_after) in rows:
        done = len(outcome.booked) + len(outcome.taken) + len(outcome.errors)
        clients_cpu = f"{own:.1f}" if server else "-"
        db_cpu = f"{db:.1f}" if "DATABASE_URL" in os.environ else "-"
        print(
            f"{scenario:>8} {window:>6} {done:>8} {len(outcome.booked):>5} "
            f"{len(outcome.taken):>5} {len(outcome.errors):>5} "
            f"{len(outcome.booked) / outcome.elapsed:>10.0f} {done / outcome.elapsed:>6.0f} "
            f"{percentile(outcome.booked, 0.50):>7.1f} {percentile(outcome.booked, 0.95):>7.1f} "
            f"{percentile(outcome.booked, 0.99):>7.1f} {percentile(outcome.taken, 0.95):>7.1f} "
            f"{app:>7.1f} {db_cpu:>6} {clients_cpu:>7} {f'{load:.1f}-{load_after:.1f}':>9}"
        )
        errors.extend(outcome.errors)
    print(
        "latencies: of the 201 answers (409 p95: of the 409s); cpu: CPU ms per request of "
        "the application (client mode: this process, clients included), of PostgreSQL's "
        "backends (SQLite's work is in the application's) and of the clients (server "
        f"mode); load: 1-minute load average before-after, on {os.cpu_count()} CPUs"
    )
    wrong, live, checked = check_slots(clinic.facility)
    booked = warm_up_booked + sum(len(row[2].booked) for row in rows)
    print(
        f"slots checked: {checked}; overfilled or miscounted: {wrong}; live appointments: "
        f"{live}, 201 answers (warm-up included): {booked}"
    )
    print(f"target: >= {TARGET['bookings_per_s']} bookings/s with p95 <= {TARGET['p95_ms']} ms")
    for error in errors[:5]:
        print(f"unexpected answer: {error}")
    return not (wrong or errors or live != booked)


class PySpy:
    """py-spy sampling the server's workers; when finished, prints the project's
    functions most often on the stack and the functions most often running (share of
    the samples)."""

    def __init__(self, server: LiveServer, path: str):
        self.path = path
        command = [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record"]
        options = ["-p", str(server.process.pid), "--subprocesses", "-r", "100"]
        self.process = subprocess.Popen(  # noqa: S603
            [*command, *options, "-f", "raw", "-o", path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1)  # attached

    def finish(self, top: int = 15) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        samples, on_stack, running = 0, collections.Counter(), collections.Counter()
        with open(self.path) as raw:
            for line in raw:
                stack, count = line.rsplit(" ", 1)
                frames = [_frame(frame) for frame in stack.split(";")[1:]]
                ours = {frame for frame in frames if frame.startswith("hms/")}
                samples += int(count)
                on_stack.update(dict.fromkeys(ours, int(count)))
                running[frames[-1]] += int(count)
        print(f"py-spy, {samples} samples of the workers (raw stacks in {self.path})")
        for title, counts in (("project code on the stack", on_stack), ("running", running)):
            print(f"  {title}:")
            for name, count in counts.most_common(top):
                print(f"    {count * 100 / samples:5.1f}%  {name}")


def _frame(frame: str) -> str:
    """ "get (/x/site-packages/django/db/models/query.py:620)" ->
    "django/db/models/query.py get"."""
    name, _, where = frame.partition(" (")
    where = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/"):
        where = where.split(marker)[-1]
    return f"{where} {name}"


if __name__ == "__main__":
    main()
