"""Real `hms worker` processes against a real database (a migrated SQLite file, or the
PostgreSQL test database): two of them racing over the same outbox send every message
exactly once, by email through a local SMTP server and by SMS to the file backend; and
a worker started with --exit-with-parent ends when its parent does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from hms.patients.tests.smtp import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)

HMS = str(Path(sys.executable).with_name("hms"))
REMINDERS = 300


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path | None:
    """A SQLite database file migrated once for the module (the tests' own database
    lives in memory, out of other processes' reach); None on PostgreSQL."""
    if connection.vendor == "postgresql":
        return None
    path = tmp_path_factory.mktemp("db") / "hms.sqlite3"
    subprocess.run([HMS, "migrate", "-v0"], env=_env(f"sqlite:///{path}"), check=True, timeout=120)
    return path


@pytest.fixture
def database_url(migrated_sqlite, tmp_path) -> str:
    if migrated_sqlite is None:
        s = connection.settings_dict  # the test database, with this test's rows committed
        password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
        return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    copy = tmp_path / "hms.sqlite3"
    shutil.copyfile(migrated_sqlite, copy)
    return f"sqlite:///{copy}"


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
    # The same data folder as this process: the same field-encryption keys.
    return {
        **env,
        "DATABASE_URL": url,
        "HMS_DATA_DIR": str(settings.DATA_DIR),
        "HMS_LOG_LEVEL": "WARNING",
        **extra,
    }


def _shell(env: dict, code: str) -> str:
    done = subprocess.run(
        [HMS, "shell", "-v", "0", "-c", code],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_worker_processes_send_every_message_exactly_once(database_url, tmp_path):
    url = database_url
    sms_file = tmp_path / "sms.jsonl"
    with smtp_server() as (inbox, port):
        env = _env(
            url,
            HMS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            HMS_EMAIL_HOST="127.0.0.1",
            HMS_EMAIL_PORT=str(port),
            HMS_SMS_BACKEND="hms.core.sms.FileBackend",
            HMS_SMS_FILE=str(sms_file),
        )
        queued = _shell(
            env,
            "from hms.patients.tests.outbox import seed_due_messages\n"
            "from hms.scheduling.tasks import send_due_messages\n"
            f"print(seed_due_messages({REMINDERS}, patients=6, sms=True))\n"
            # one run for each worker at once, so they race from the start
            "send_due_messages.enqueue(); send_due_messages.enqueue()",
        )
        logs = [open(tmp_path / f"worker{i}.log", "w") for i in range(2)]  # noqa: SIM115
        workers = [
            subprocess.Popen(
                [HMS, "worker", "--interval", "0.2"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            for log in logs
        ]
        try:

            def all_sent() -> bool:
                lines = sms_file.read_text().count("\n") if sms_file.exists() else 0
                return len(inbox.messages) >= REMINDERS and lines >= REMINDERS

            finished = _wait_for(all_sent, timeout=90)
            time.sleep(1)  # a duplicate would arrive now
        finally:
            for process in workers:
                _stop(process)
            for log in logs:
                log.close()

    output = "\n".join((tmp_path / f"worker{i}.log").read_text() for i in range(2))
    assert finished, output
    assert queued == str(2 * REMINDERS)
    emails = Counter(inbox.references())
    texts = Counter(json.loads(line)["reference"] for line in sms_file.read_text().splitlines())
    assert set(emails) == {f"bench:{n}:email" for n in range(REMINDERS)}
    assert set(texts) == {f"bench:{n}:sms" for n in range(REMINDERS)}
    assert set(emails.values()) == set(texts.values()) == {1}
    statuses = _shell(
        env,
        "from hms.patients.models import OutboundMessage as M\n"
        "print(sorted(set(M.objects.values_list('status', flat=True))))",
    )
    assert statuses == "['sent']"
    runs = json.loads(
        _shell(
            env,
            "import json\nfrom django_tasks_db.models import DBTaskResult as R\n"
            "runs = R.objects.filter(status='SUCCESSFUL', task_path__endswith='due_messages')\n"
            "print(json.dumps([[r.worker_ids, r.return_value['sent']] for r in runs]))",
        )
    )
    # the workers' own count agrees: every message sent once, by one run or another
    assert sum(sent for _, sent in runs) == 2 * REMINDERS, runs
    assert "Traceback" not in output, output


def test_a_worker_started_with_exit_with_parent_ends_with_it(database_url):
    env = _env(database_url)
    parent = subprocess.run(
        [
            "sh",
            "-c",
            '"$0" worker --exit-with-parent --interval 0.2 >/dev/null 2>&1 & echo $!; sleep 4',
            HMS,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pid = int(parent.stdout.split()[0])

    def gone() -> bool:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        return "\nState:\tZ" in state  # exited, waiting for init to reap it

    assert _wait_for(gone, timeout=30)
