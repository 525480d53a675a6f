"""Registration throughput: patients registered one by one through POST /api/v1/patients/.

Usage: .venv/bin/python bench/patient_registration.py [--database sqlite|postgres]
       [--patients 2000] [--mode client|server] [--profile]

--mode client (default) sends each request through Django's test Client in this process:
the whole HTTP stack from middleware to response (bearer-token auth, DRF parsing and
validation, the duplicate check, the MRN sequence lock, encryption, the audit chain) on
a real database, without sockets. --mode server starts `hms serve` (gunicorn, one worker,
one thread, so requests stay one by one) and posts over a kept-alive HTTP connection.
PostgreSQL uses postgres://postgres@127.0.0.1:5432/hms_bench_registration (recreated).
Every request must answer 201; the people are varied enough that the duplicate check
finds nobody, as at a real front desk most of the time. Prints patients/s and latency.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from procs import cpu_ms, descendants, pg_backends, recreate_database

GIVEN = [
    "Amina",
    "Baraka",
    "Chebet",
    "Daudi",
    "Esther",
    "Faith",
    "Grace",
    "Halima",
    "Imani",
    "Jabari",
    "Kamau",
    "Lilian",
    "Mwangi",
    "Njeri",
    "Otieno",
    "Pendo",
    "Qabale",
    "Rehema",
    "Said",
    "Tumaini",
    "Uhuru",
    "Wanjiru",
    "Xavier",
    "Yusuf",
    "Zawadi",
    "Akinyi",
    "Brian",
    "Caroline",
    "Dennis",
    "Eunice",
    "Felix",
    "Gladys",
    "Hassan",
    "Irene",
    "James",
    "Kevin",
    "Lucy",
    "Moses",
    "Nancy",
    "Oscar",
    "Peter",
    "Ruth",
    "Samuel",
    "Teresa",
    "Victor",
    "Winnie",
    "Abdi",
    "Fatuma",
    "Juma",
    "Mercy",
]
FAMILY = [
    "Achieng",
    "Barasa",
    "Cheruiyot",
    "Dida",
    "Ekiru",
    "Gachanja",
    "Hussein",
    "Ireri",
    "Jilo",
    "Kiprono",
    "Langat",
    "Maina",
    "Nyambura",
    "Odhiambo",
    "Onyango",
    "Owino",
    "Rotich",
    "Sang",
    "Tanui",
    "Wafula",
    "Wekesa",
    "Yegon",
    "Korir",
    "Kiplagat",
    "Mutua",
    "Musyoka",
    "Njoroge",
    "Kariuki",
    "Omondi",
    "Okoth",
    "Ouma",
    "Wambui",
    "Kimani",
    "Macharia",
    "Gitau",
    "Ndungu",
    "Mohamed",
    "Ali",
    "Abdullahi",
    "Kiptoo",
    "Chepkoech",
    "Jeptoo",
    "Atieno",
    "Awino",
    "Nekesa",
    "Nafula",
    "Wanyama",
    "Simiyu",
]


def configure(database: str) -> dict[str, str]:
    env = {"HMS_DATA_DIR": tempfile.mkdtemp(prefix="hms-bench-"), "HMS_SECRET_KEY": "bench"}
    if database == "postgres":
        env["DATABASE_URL"] = recreate_database("hms_bench_registration")
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env, DJANGO_SETTINGS_MODULE="hms.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return env


def make_token() -> str:
    """A receptionist at a fresh facility, and their API token."""
    from hms.accounts import services
    from hms.core.models import Facility

    facility = Facility.objects.create(name="Bench Hospital", code="BENCH", country="KE")
    user = services.create_user(
        actor=None,
        facility=facility,
        username="bench-clerk",
        password="bench-password-long-enough-1",
        roles=["receptionist"],
        skip_permission_checks=True,
    )
    _, raw = services.issue_token(
        actor=None, user=user, name="bench", days=1, skip_permission_checks=True
    )
    return raw


def analyze(database: str) -> None:
    """Statistics for the planner, as autovacuum keeps them on a live registry: the
    run starts on tables that were empty a moment ago."""
    if database == "postgres":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def people(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    found = []
    for i in range(count):
        born = 1940 + rng.randrange(84)
        found.append(
            {
                "given_name": rng.choice(GIVEN),
                "middle_name": rng.choice(GIVEN),
                "family_name": rng.choice(FAMILY),
                "sex": rng.choice(["female", "male"]),
                "birth_date": f"{born}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "phone": f"07{rng.randrange(10, 30)}{i:06d}",
                "identifiers": [{"system": "national_id", "value": f"{30_000_000 + i}"}],
            }
        )
    return found


class InProcess:
    """Django's test Client: the full request path, no socket."""

    def __init__(self, token: str):
        from django.test import Client

        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")

    def post(self, body: dict) -> int:
        return self.client.post(
            "/api/v1/patients/", json.dumps(body), content_type="application/json"
        ).status_code


class LiveServer:
    """`hms serve` (gunicorn, `workers` processes of one thread each); each client holds
    one kept-alive connection and sends its registrations one after another."""

    def __init__(self, token: str, env: dict[str, str], workers: int):
        from django.db import connections

        connections.close_all()  # the server opens its own
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "hms.cli", "serve", "--no-collectstatic"]
        options = ["--port", str(self.port), "--workers", str(workers), "--threads", "1"]
        self.process = subprocess.Popen(  # noqa: S603
            command + options,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._wait()

    def _wait(self) -> None:
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

    def client(self) -> ServerClient:
        return ServerClient(self.port, self.headers)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def cpu_now(server: LiveServer | None) -> tuple[float, float]:
    """CPU ms used so far by the application (this process, or the server's processes
    with all their threads) and by the database's processes serving it (PostgreSQL):
    the work apart from time spent waiting for a core on a shared machine."""
    app = cpu_ms(descendants(server.process.pid)) if server else time.process_time() * 1000
    return app, cpu_ms(pg_backends("hms_bench_registration"))


class ServerClient:
    """A desk sending one registration at a time, each on a new connection: clerks'
    browsers are minutes apart, so their connections rarely outlive the server's
    keep-alive, and a connection kept open would tie a client to one worker."""

    def __init__(self, port: int, headers: dict[str, str]):
        self.port = port
        self.headers = {**headers, "Connection": "close"}

    def post(self, body: dict) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", "/api/v1/patients/", json.dumps(body), self.headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()


def run(clients: list, bodies: list[dict]) -> tuple[float, float, float, float]:
    """Each client registers its share one by one; all clients at once."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def work(client, share: list[dict]) -> None:
        mine = []
        for body in share:
            begun = time.perf_counter()
            status = client.post(body)
            mine.append(time.perf_counter() - begun)
            if status != 201:
                failures.append(f"{status}: {body}")
                return
        with lock:
            latencies.extend(mine)

    shares = [bodies[i :: len(clients)] for i in range(len(clients))]
    threads = [
        threading.Thread(target=work, args=pair) for pair in zip(clients, shares, strict=True)
    ]
    started = time.perf_counter()
    if len(threads) == 1:
        work(clients[0], bodies)  # in this thread, where the profiler and connection are
    else:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"registration did not answer 201: {failures[0]}")
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return len(bodies) / elapsed, statistics.median(latencies) * 1000, p95 * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--mode", choices=["client", "server"], default="client")
    parser.add_argument("--clients", type=int, default=1, help="server mode: clients at once")
    parser.add_argument("--workers", type=int, default=1, help="server mode: gunicorn workers")
    parser.add_argument("--profile", action="store_true", help="cProfile the client mode")
    args = parser.parse_args()
    env = configure(args.database)
    token = make_token()
    bodies = people(args.patients + 50)
    server = LiveServer(token, env, args.workers) if args.mode == "server" else None
    clients = [server.client() for _ in range(args.clients)] if server else [InProcess(token)]
    try:
        run(clients, bodies[:50])  # warm-up: imports, connections, first key loads
        analyze(args.database)
        profiler = cProfile.Profile() if args.profile and not server else None
        if profiler:
            profiler.enable()
        cpu_started = cpu_now(server)
        rate, p50, p95, p99 = run(clients, bodies[50:])
        app_ms, db_ms = (
            (b - a) / args.patients for a, b in zip(cpu_started, cpu_now(server), strict=True)
        )
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
            stats.print_stats(40)
            for name in os.environ.get("BENCH_CALLEES", "").split(","):
                if name:
                    stats.print_callees(name)
    finally:
        if server:
            server.close()
    where = (
        "in-process test Client"
        if not server
        else (f"hms serve, {args.workers} worker(s), {args.clients} client(s)")
    )
    print(f"patient registration, one request per patient ({where})")
    # CPU per patient shows the cost apart from what other programs on the machine
    # take: the application's (on SQLite the database's work is in it) and PostgreSQL's.
    # Two cores give at most 2000 / (app + database) patients/s.
    print(
        f"{'database':>9}  {'patients':>8}  {'patients/s':>10}  {'p50 ms':>7}  {'p95 ms':>7}  "
        f"{'p99 ms':>7}  {'app cpu ms':>10}  {'db cpu ms':>9}  (per patient)"
    )
    print(
        f"{args.database:>9}  {args.patients:>8}  {rate:>10.0f}  {p50:>7.2f}  {p95:>7.2f}  "
        f"{p99:>7.2f}  {app_ms:>10.1f}  {db_ms:>9.1f}"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
