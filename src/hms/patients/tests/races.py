"""Run calls in real threads started at one moment, each with its own database
connection, as clerks at several desks would."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import connection


def race(calls: list[Callable[[], Any]], tmp_path: Path) -> list[tuple[str, Any]]:
    """Run each call in its own thread, all released together by a barrier; returns
    ("ok", result) or ("raised", exception) for each, in the order of `calls`.

    On SQLite the threads share a file copy of the test database: the in-memory one
    fails a second writer at once ("database table is locked") where a real database
    file makes it wait for the write lock, as a server's would.
    """
    path = _file_copy(tmp_path) if connection.vendor == "sqlite" else None
    start = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def run(position: int, call: Callable[[], Any]) -> None:
        if path is not None:
            connection.settings_dict = {**connection.settings_dict, "NAME": str(path)}
        try:
            start.wait(timeout=30)
            results[position] = ("ok", call())
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[position] = ("raised", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def in_race_database(call: Callable[[], Any], tmp_path: Path) -> Any:
    """`call`'s answer read from the database the racing threads wrote."""
    [(outcome, value)] = (
        race([call], tmp_path) if connection.vendor == "sqlite" else [("ok", call())]
    )
    if outcome != "ok":
        raise value
    return value


def _file_copy(tmp_path: Path) -> Path:
    path = tmp_path / "race.sqlite3"
    if not path.exists():
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
    return path
