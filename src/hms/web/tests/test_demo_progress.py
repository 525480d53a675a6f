"""`hms demo` says each step as it starts: plain lines in a log, a progress bar on a
terminal."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from hms.web import demo_patients
from hms.web.demo import load_demo

pytestmark = pytest.mark.django_db

STEPS = [
    "Staff and facilities",
    "Patients",
    "Tariff and payers",
    "A month of billing",
    "Claims and a remittance",
    "Clinics and today's queue",
]


class Log(io.StringIO):
    """Output to a file: what had been written at each flush is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


class Terminal(Log):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def without_synthea(monkeypatch, tmp_path):
    monkeypatch.setattr(demo_patients, "SYNTHEA", tmp_path / "absent")


def test_off_a_terminal_each_step_is_a_plain_line_written_as_it_starts():
    # given
    log = Log()

    # when
    call_command("demo", "--no-serve", stdout=log)

    # then: the steps in order, each out of the buffer before the next one ran
    lines = log.getvalue().splitlines()
    said = [line.strip() for line in lines[: 2 + len(STEPS)]]
    assert said[0].startswith("Migrating the database")
    assert said[1:] == ["Loading the demo hospital...", *STEPS]
    assert any(flushed.endswith("  Patients\n") for flushed in log.flushed)
    assert any("hms demo hospital loaded in" in line for line in lines)
    assert "\r" not in log.getvalue()
    assert "\x1b" not in log.getvalue()


def test_on_a_terminal_the_steps_fill_one_bar():
    # given
    terminal = Terminal()

    # when
    assert load_demo(OutputWrapper(terminal)) is True

    # then: redrawn in place up to the whole, with no line per step
    out = terminal.getvalue()
    assert "\r" in out
    assert "Clinics and today's queue" in out
    last = out.rpartition("\r")[2]
    assert "Demo hospital loaded" in last
    assert "100%" in last
    assert "\n  Patients\n" not in out
