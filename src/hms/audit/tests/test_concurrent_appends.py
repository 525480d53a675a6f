"""Many writers at once still get gapless ids and one unbroken chain (real threads)."""

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from django.db import connection

from hms.audit.models import AuditEvent
from hms.audit.selectors import verify_chain
from hms.audit.services import Action, record_event

WRITERS, EVENTS_EACH = 8, 25


def write_concurrently(writers: int, events_each: int) -> list[BaseException]:
    """Start `writers` threads together, each appending `events_each` events.

    Each thread has its own database connection and closes it when done.
    """
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(events_each):
                record_event(action=Action.READ, username=f"writer{n}", reason=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pytest-django's SQLite test database is a shared-cache in-memory database, "
    "where a second writer fails at once with 'database table is locked' instead of "
    "waiting on busy_timeout; the SQLite test below uses a real WAL file instead",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_gapless_ids_and_an_intact_chain():
    # when
    errors = write_concurrently(WRITERS, EVENTS_EACH)

    # then
    assert errors == []
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    assert ids == list(range(1, WRITERS * EVENTS_EACH + 1))
    for n in range(WRITERS):
        assert AuditEvent.objects.filter(username=f"writer{n}").count() == EVENTS_EACH
    report = verify_chain()
    assert (report.ok, report.checked, report.problem) == (True, WRITERS * EVENTS_EACH, "")


# Runs in a fresh interpreter on an SQLite file in a temporary data folder, with the
# settings a deployment gets (WAL, IMMEDIATE transactions, busy_timeout).
_SQLITE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    call_command("migrate", verbosity=0)
    from hms.audit.models import AuditEvent
    from hms.audit.selectors import verify_chain
    from hms.audit.tests.test_concurrent_appends import write_concurrently
    writers, each = int(sys.argv[1]), int(sys.argv[2])
    errors = write_concurrently(writers, each)
    report = verify_chain()
    print(json.dumps({
        "vendor": connection.vendor,
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
        "errors": [repr(e) for e in errors],
        "ids": list(AuditEvent.objects.order_by("id").values_list("id", flat=True)),
        "per_writer": sorted(
            AuditEvent.objects.filter(username__startswith="writer")
            .values_list("username").annotate(n=django.db.models.Count("id"))
        ),
        "ok": report.ok,
        "checked": report.checked,
    }))
    """
)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="checks the SQLite deployment settings; PostgreSQL runs the in-process test above",
)
def test_concurrent_writers_on_an_sqlite_file_get_gapless_ids_and_an_intact_chain(tmp_path):
    # given
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "HMS_DATA_DIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hms.settings", HMS_DATA_DIR=str(tmp_path), HMS_LOG_LEVEL="ERROR"
    )

    # when
    done = subprocess.run(
        [sys.executable, "-c", _SQLITE_SCRIPT, str(WRITERS), str(EVENTS_EACH)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # then
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert (result["vendor"], result["journal_mode"]) == ("sqlite", "wal")
    assert result["errors"] == []
    assert result["ids"] == list(range(1, WRITERS * EVENTS_EACH + 1))
    assert result["per_writer"] == [[f"writer{n}", EVENTS_EACH] for n in range(WRITERS)]
    assert (result["ok"], result["checked"]) == (True, WRITERS * EVENTS_EACH)
