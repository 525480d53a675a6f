"""What the benches measure beside wall-clock time, shared by every script: the CPU used
by the processes doing the work (an application server's processes with all their
threads, PostgreSQL's backends), a database made afresh for a run, and a priority raised
above the machine's other jobs."""

from __future__ import annotations

import os
import subprocess

PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (the rank rounded down)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def recreate_database(name: str) -> str:
    """Drop and create the PostgreSQL database `name`; returns its URL."""
    for tool in ("dropdb", "createdb"):
        extra = ["--if-exists"] if tool == "dropdb" else []
        subprocess.run(  # noqa: S603
            [tool, "-h", "127.0.0.1", "-U", "postgres", *extra, name],  # noqa: S607
            check=True,
            stderr=subprocess.DEVNULL,
        )
    return f"{PG_SERVER}/{name}"


def cpu_ms_each(pids: set[int]) -> dict[int, float]:
    """CPU ms (user + system) used so far by each process still running."""
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                utime, stime = stat.read().rsplit(")", 1)[1].split()[11:13]
                found[pid] = (int(utime) + int(stime)) * 1000 / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def cpu_ms(pids: set[int]) -> float:
    return sum(cpu_ms_each(pids).values())


def descendants(root: int) -> set[int]:
    """`root` and every process below it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    found, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found.update(children)
        frontier.extend(children)
    return found


def pg_backends(database: str) -> set[int]:
    """The application's connections to `database` (none off PostgreSQL). Client
    backends only: autovacuum works on the same database now and then, and a worker
    seen at one end of the run only would count whole."""
    if "DATABASE_URL" not in os.environ:
        return set()
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres") as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND backend_type = 'client backend'",
            [database],
        ).fetchall()
    return {pid for (pid,) in rows}


def first_in_line() -> list[int]:
    """Raise this process and its PostgreSQL backend above the machine's other work
    (nice -10) when allowed; returns their pids, this process first."""
    from django.db import connection

    pids = [os.getpid()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
    try:
        for pid in pids:
            os.setpriority(os.PRIO_PROCESS, pid, -10)
    except PermissionError:
        print("  (not allowed to raise priority: figures include waiting for the CPU)")
    else:
        print("  measured at nice -10 (this process and its database server process)")
    return pids
