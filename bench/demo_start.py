"""How long `hms demo` takes from an empty data folder to a healthy server.

Usage: .venv/bin/python bench/demo_start.py [--runs 3]
Prints one row per run: migrate + demo load + collectstatic + first healthy /healthz.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HMS = ROOT / ".venv" / "bin" / "hms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def one_run() -> tuple[float, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "HMS_DATA_DIR": data}
        env.pop("DATABASE_URL", None)
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: S603
            [str(HMS), "demo", "--port", str(port)],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:  # noqa: S310
                        if r.status == 200:
                            healthy = time.perf_counter() - started
                            break
                except OSError:
                    time.sleep(0.1)
                if time.perf_counter() - started > 120:
                    raise SystemExit("hms demo did not become healthy within 120 s")
            login_started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as r:  # noqa: S310
                r.read()
            first_page = time.perf_counter() - login_started
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    return healthy, first_page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print(f"{'run':>3}  {'fresh data folder -> healthy (s)':>32}  {'sign-in page (ms)':>17}")
    results = []
    for i in range(1, runs + 1):
        healthy, page = one_run()
        results.append(healthy)
        print(f"{i:>3}  {healthy:>32.2f}  {page * 1000:>17.1f}")
    best, worst = min(results), max(results)
    print(f"best {best:.2f} s, worst {worst:.2f} s (target: 15 s at most, quiet 2-core machine)")


if __name__ == "__main__":
    main()
