"""How long `hms demo` takes from an empty data folder to a healthy server, step by step.

Usage: .venv/bin/python bench/demo_start.py [--runs 3]
Prints one row per run: the start of the command (Python and Django), migrating, loading
the demo hospital, then starting the server to the first healthy /healthz, each timed from
the line `hms demo` prints as the step begins; and the sign-in page's first answer.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HMS = ROOT / ".venv" / "bin" / "hms"
# The line each step begins with, in order (English: the benchmark runs without a locale).
STEPS = {"migrate": "Migrating the database", "load": "Loading the demo hospital"}
# Loading ends where the welcome (or the wait for the static files copied meanwhile) begins.
LOADED = ("hms demo hospital loaded", "Collecting the static files")
TARGET_LOAD_S = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_run() -> dict[str, float]:
    """Seconds from the start to each step's first line, to the end of loading, and to
    healthy; the sign-in page's first answer in seconds."""
    port = free_port()
    seen: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "HMS_DATA_DIR": data, "LANG": "C.UTF-8"}
        env.pop("DATABASE_URL", None)
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [str(HMS), "demo", "--port", str(port)],
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

        def note_steps() -> None:
            marks = {**STEPS, "loaded": LOADED}
            for line in proc.stdout:
                for step, prefix in marks.items():
                    if step not in seen and line.lstrip().startswith(prefix):
                        seen[step] = time.perf_counter() - started

        threading.Thread(target=note_steps, daemon=True).start()
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:  # noqa: S310
                        if r.status == 200:
                            seen["healthy"] = time.perf_counter() - started
                            break
                except OSError:
                    time.sleep(0.1)
                if time.perf_counter() - started > 120:
                    raise SystemExit("hms demo did not become healthy within 120 s")
            login_started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:  # noqa: S310
                r.read()
            seen["sign-in page"] = time.perf_counter() - login_started
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(
        f"{'run':>3}  {'start (s)':>9}  {'migrate (s)':>11}  {'demo load (s)':>13}  "
        f"{'serve (s)':>9}  {'empty folder -> healthy (s)':>27}  {'sign-in page (ms)':>17}"
    )
    loads, totals = [], []
    for i in range(1, runs + 1):
        t = one_run()
        load = t["loaded"] - t["load"]
        loads.append(load)
        totals.append(t["healthy"])
        print(
            f"{i:>3}  {t['migrate']:>9.2f}  {t['load'] - t['migrate']:>11.2f}  {load:>13.2f}  "
            f"{t['healthy'] - t['loaded']:>9.2f}  {t['healthy']:>27.2f}  "
            f"{t['sign-in page'] * 1000:>17.1f}"
        )
    print(
        f"demo load best {min(loads):.2f} s, worst {max(loads):.2f} s "
        f"(target: {TARGET_LOAD_S} s at most, quiet 2-core machine); "
        f"empty folder -> healthy best {min(totals):.2f} s, worst {max(totals):.2f} s"
    )


if __name__ == "__main__":
    main()
