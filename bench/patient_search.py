"""Front-desk patient search over a generated registry (1,000,000 patients by default).

Usage: .venv/bin/python bench/patient_search.py [--database sqlite|postgres]
       [--patients 1000000] [--queries 300] [--fresh]

SQLite lives in $TMPDIR/hms-bench-search (kept, so a second run reuses the load);
PostgreSQL in the database hms_bench_search on 127.0.0.1:5432 (created here). A load
that stopped half-way resumes at its last committed chunk; --fresh starts again.

Rows are written directly (COPY on PostgreSQL, executemany on SQLite) in chunks, with
the search name, name keys and blind indexes computed by the same functions the
registration service uses, and phones and ID numbers encrypted one by one. Then each
kind of query (drawn from the generated people) is timed through the selector and
through GET /api/v1/patients/?q=..., and a table of p50 / p95 latencies is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from procs import first_in_line, percentile
from search_people import national_phone, person, rare_name, typo

PG_URL = "postgres://postgres@127.0.0.1:5432/hms_bench_search"
SEED = 20240501
CHUNK = 20_000
WORKERS = 2
TARGET_MS = {"sqlite": 100, "postgres": 30}
FACILITY_CODE = "BENCH"


def configure(database: str, fresh: bool) -> None:
    data_dir = Path(tempfile.gettempdir()) / "hms-bench-search"
    if fresh:
        (data_dir / f"indexes-{'postgresql' if database == 'postgres' else 'sqlite'}.json").unlink(
            missing_ok=True
        )
    if fresh and database == "sqlite":
        (data_dir / "hms.sqlite3").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (data_dir / f"hms.sqlite3{suffix}").unlink(missing_ok=True)
    data_dir.mkdir(exist_ok=True)
    os.environ["HMS_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("HMS_ALLOWED_HOSTS", "localhost")
    if database == "postgres":
        if fresh:
            _pg("dropdb", "--if-exists")
        _pg("createdb")
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hms.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _pg(tool: str, *extra: str) -> None:
    subprocess.run(  # noqa: S603
        [tool, "-h", "127.0.0.1", "-U", "postgres", *extra, "hms_bench_search"],
        check=False,
        stderr=subprocess.DEVNULL,
    )


# --- load ------------------------------------------------------------------------------


def setup_facility():
    from hms.accounts import services
    from hms.core.models import Facility

    facility, _ = Facility.objects.get_or_create(
        code=FACILITY_CODE,
        defaults={"name": "Bench General", "country": "KE", "mrn_prefix": "BG"},
    )
    user = services.create_user(
        actor=None,
        facility=facility,
        username=f"clerk{uuid.uuid4().hex[:8]}",
        password=uuid.uuid4().hex,
        roles=("receptionist",),
        skip_permission_checks=True,
    )
    _, token = services.issue_token(
        actor=None, user=user, name="bench", days=1, skip_permission_checks=True
    )
    return facility, user, token


def chunk_rows(job: tuple[int, str, int, int, dt.datetime]):
    """Rows of patients start..stop-1 (ids start+1..stop), their keys and national IDs;
    runs in a worker process (it touches no database)."""
    from hms.core import crypto
    from hms.patients import mrn, search
    from hms.patients.inputs import identifier_key
    from hms.patients.names import search_name

    facility_id, vendor, start, stop, now = job
    sqlite = vendor == "sqlite"
    stamp = now.replace(tzinfo=None).isoformat(" ") if sqlite else now
    patients, keys, identifiers = [], [], []
    for i in range(start, stop):
        p = person(SEED, i)
        pk = i + 1
        name = search_name(p.given, p.middle, p.family)
        born = p.birth_date.isoformat() if sqlite else p.birth_date
        patients.append(
            (pk, _uuid(sqlite), stamp, stamp, facility_id, mrn.format_mrn("BG", pk), p.given,
             p.middle, p.family, "", p.sex, "", born, False, "", "", crypto.encrypt(p.phone),
             crypto.blind_index(p.phone, kind="phone"), "", "", False, False, False, False,
             False, "active", name)
        )  # fmt: skip
        keys += [(k, pk) for k in search.name_keys(name)]
        value_index = crypto.blind_index(
            identifier_key("national_id", p.national_id), kind="identifier"
        )
        identifiers.append(
            (_uuid(sqlite), stamp, stamp, pk, "national_id", crypto.encrypt(p.national_id),
             value_index, "")
        )  # fmt: skip
    return stop, patients, keys, identifiers


def _uuid(sqlite: bool):
    value = uuid.uuid4()
    return value.hex if sqlite else value


PATIENT_COLUMNS = [
    "id", "external_id", "created_at", "updated_at", "facility_id", "mrn", "given_name",
    "middle_name", "family_name", "preferred_name", "sex", "gender_identity", "birth_date",
    "birth_date_estimated", "marital_status", "language", "phone", "phone_index", "email",
    "email_index", "consent_sms", "consent_email", "consent_research", "is_unknown",
    "is_deceased", "status", "search_name",
]  # fmt: skip
IDENTIFIER_COLUMNS = [
    "external_id", "created_at", "updated_at", "patient_id", "system", "value", "value_index",
    "assigner",
]  # fmt: skip
TABLES = ("patients_patient", "patients_patientnamekey", "patients_patientidentifier")


def write(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    from django.db import connection

    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["?"] * len(columns))
    cursor.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def secondary_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain indexes of the loaded tables: dropped for
    the load and built once at the end, which is several times faster."""
    from django.db import connection

    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [list(TABLES)],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN (%s, %s, %s)",
            list(TABLES),
        )
    return cursor.fetchall()


def load(facility, patients: int) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    from hms.patients.models import Patient

    started = time.perf_counter()
    loaded = Patient.objects.filter(facility=facility).count()
    with connection.cursor() as cursor:
        cut_short = _index_file().exists()
        indexes = _indexes_to_build(cursor)
        if loaded >= patients:
            _build(cursor, indexes if cut_short else [], patients)
            return 0.0
        _fast_writes(cursor, on=True)
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    now = timezone.now()
    jobs = [
        (facility.pk, connection.vendor, start, min(start + CHUNK, patients), now)
        for start in range(loaded - loaded % CHUNK, patients, CHUNK)
    ]
    # Both cores make rows (names, keys, encryption) while this process writes them.
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        for stop, rows, keys, identifiers in pool.imap(chunk_rows, jobs):
            with transaction.atomic(), connection.cursor() as cursor:
                write(cursor, TABLES[0], PATIENT_COLUMNS, rows)
                write(cursor, TABLES[1], ["key", "patient_id"], keys)
                write(cursor, TABLES[2], IDENTIFIER_COLUMNS, identifiers)
            rate = (stop - loaded) / (time.perf_counter() - started)
            print(f"\r  loaded {stop:,} patients ({rate:,.0f}/s)", end="", flush=True)
    with connection.cursor() as cursor:
        _build(cursor, indexes, patients)
    return time.perf_counter() - started


def _indexes_to_build(cursor) -> list[tuple[str, str]]:
    """The indexes a load drops, remembered in the data folder until they are built
    again, so a load stopped half-way still ends with them."""
    path = _index_file()
    if path.exists():
        return [tuple(row) for row in json.loads(path.read_text())]
    found = secondary_indexes(cursor)
    path.write_text(json.dumps(found))
    return found


def _index_file() -> Path:
    from django.db import connection

    return Path(os.environ["HMS_DATA_DIR"]) / f"indexes-{connection.vendor}.json"


def _build(cursor, indexes: list[tuple[str, str]], patients: int) -> None:
    if indexes:
        print("\n  building indexes ...", flush=True)
    for _, create in indexes:
        cursor.execute(
            re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", create)
        )
    _fast_writes(cursor, on=False)
    if indexes:
        _after_load(cursor, patients)
    _index_file().unlink(missing_ok=True)


def _fast_writes(cursor, *, on: bool) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        # Foreign keys are right by construction; skip their per-row triggers.
        cursor.execute(f"SET session_replication_role = {'replica' if on else 'origin'}")
    else:
        cursor.execute(f"PRAGMA foreign_keys = {'OFF' if on else 'ON'}")
        cursor.execute(f"PRAGMA synchronous = {'OFF' if on else 'NORMAL'}")


def _after_load(cursor, patients: int) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('patients_patient', 'id'), %s)", [patients]
        )
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    else:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


# --- queries ---------------------------------------------------------------------------


def queries(patients: int, per_kind: int) -> dict[str, list[str]]:
    from hms.patients import mrn

    rng = random.Random(SEED)
    picks = [rng.randrange(patients) for _ in range(per_kind)]
    people = [(i, person(SEED, i)) for i in picks]
    return {
        "MRN": [mrn.format_mrn("BG", i + 1) for i, _ in people],
        "phone": [national_phone(p.phone, rng) for _, p in people],
        "national ID": [p.national_id for _, p in people],
        "name prefix": [p.family[: rng.randint(3, 4)] for _, p in people],
        "two-word name": [
            f"{p.given} {p.family}" if rng.random() < 0.7 else f"{p.family} {p.given}"
            for _, p in people
        ],
        "typo name": [f"{typo(p.given, rng)} {typo(p.family, rng)}" for _, p in people],
        "name + birth date": [f"{p.family} {p.birth_date.isoformat()}" for _, p in people],
        # Someone new at the desk: nothing matches by spelling, the sound-alike
        # fallback runs.
        "new person's name": [f"{rare_name(rng)} {rare_name(rng)}" for _ in people],
    }


def cpu_ms(pids: list[int]) -> float:
    """CPU time used so far by these processes (Linux schedstat): the work a query
    costs, apart from time spent waiting for a core on a shared machine."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/schedstat") as stat:
            total += int(stat.read().split()[0])
    return total / 1e6


def timed(run, texts: list[str], pids: list[int]) -> tuple[list[float], list[float], int]:
    for text in texts[:10]:
        run(text)  # warm caches and connections
    wall, cpu, found = [], [], 0
    for text in texts:
        started, used = time.perf_counter(), cpu_ms(pids)
        found += bool(run(text))
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append(cpu_ms(pids) - used)
    return wall, cpu, found


def bare_search_view(request):
    """The selector behind a plain JSON view (no serializer, no read audit): what HTTP
    itself costs, beside the REST API's figures."""
    from django.http import JsonResponse
    from rest_framework.request import Request

    from hms.accounts.authentication import BearerTokenAuthentication
    from hms.core.models import Facility
    from hms.patients.selectors import search_patients

    user, _ = BearerTokenAuthentication().authenticate(Request(request))
    facility = Facility.objects.get(code=FACILITY_CODE)
    page = search_patients(viewer=user, facility=facility, query=request.GET["q"])
    results = [{"id": str(p.external_id), "mrn": p.mrn, "name": p.full_name} for p in page.results]
    return JsonResponse({"results": results, "has_more": page.has_more})


BARE_PATH = "/api/v1/bench-patient-search/"


def http_client(token: str):
    """A client for GET /api/v1/patients/ and for the bare view (mounted here in front of
    the project's URLs); says whether the REST API's endpoint exists."""
    from django.conf import settings
    from django.test import Client
    from django.urls import Resolver404, clear_url_caches, include, path, resolve

    try:
        real = getattr(resolve("/api/v1/patients/").func, "view_class", None) is not None
    except Resolver404:
        real = False
    global urlpatterns  # noqa: PLW0603 - this module becomes the URLconf
    urlpatterns = [path(BARE_PATH[1:], bare_search_view), path("", include(settings.ROOT_URLCONF))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}"), real


urlpatterns: list = []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--fresh", action="store_true", help="drop what an earlier run loaded")
    args = parser.parse_args()
    configure(args.database, args.fresh)

    from hms.patients.selectors import search_patients

    facility, user, token = setup_facility()
    print(f"patient search on {args.database}, {args.patients:,} patients")
    seconds = load(facility, args.patients)
    rows = counts()
    if seconds:
        print(f"  loaded in {seconds:,.0f} s ({args.patients / seconds:,.0f} patients/s)")
    print("  rows: " + ", ".join(f"{t.split('_')[-1]} {n:,}" for t, n in rows.items()))
    print("  phones and ID numbers encrypted one by one (Fernet), as registration does")

    client, real_api = http_client(token)
    print(
        "  REST API: GET /api/v1/patients/?q=... with a bearer token (its view serializes "
        "and audits a read of each patient shown)"
        if real_api
        else "  REST API: /api/v1/patients/ is not there yet; only the bare view is timed"
    )
    print("  bare HTTP: the selector behind a plain JSON view, same middleware and token")

    def by_selector(text: str):
        return search_patients(viewer=user, facility=facility, query=text).results

    def over_http(url: str):
        def run(text: str):
            response = client.get(url, {"q": text})
            if response.status_code != 200:
                raise RuntimeError(f"{text!r}: HTTP {response.status_code} {response.content!r}")
            return response.json()["results"]

        return run

    pids = first_in_line()
    doors = {"selector": by_selector, "bare HTTP": over_http(BARE_PATH)}
    if real_api:
        doors["REST API"] = over_http("/api/v1/patients/")
    measure(args, doors, pids)


def measure(args, doors, pids: list[int]) -> None:
    """Two tables: wall-clock latency, and the CPU time of this process plus its
    database server process (on PostgreSQL) for the same queries."""
    target = TARGET_MS[args.database]
    print(f"\n  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start")
    rows = []
    for kind, texts in queries(args.patients, args.queries).items():
        cells = []
        for name, run in doors.items():
            wall, cpu, found = timed(run, texts, pids)
            cells.append((name, found, wall, cpu))
        rows.append((kind, len(texts), cells))
        print(f"  timed {kind}", flush=True)
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")
    missed = False
    for title, column in (("wall-clock", 2), ("CPU time", 3)):
        header = f"\n{title + ' p50 / p95 ms':<27} {'n':>4} {'found':>5}"
        print(header + "".join(f"  {door:>15}" for door in doors) + f"   p95 <= {target} ms")
        for kind, n, cells in rows:
            p95s = [percentile(cell[column], 0.95) for cell in cells]
            figures = "".join(
                f"  {percentile(cell[column], 0.5):>6.1f} / {p95:>6.1f}"
                for cell, p95 in zip(cells, p95s, strict=True)
            )
            ok = max(p95s) <= target
            missed |= not ok
            print(f"{kind:<27} {n:>4} {cells[0][1]:>5}{figures}   {'ok' if ok else 'MISSED'}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
