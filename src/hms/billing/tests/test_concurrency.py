"""Real threads, each with its own connection, on PostgreSQL: a charge captured twice at
once exists once; invoices finalised at once get consecutive numbers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from hms.billing import services
from hms.billing.models import Charge, Invoice

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers: pytest-django's shared-cache in-memory SQLite "
        "database fails a second writer at once with 'database table is locked'",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def race(work) -> list:
    start = threading.Barrier(THREADS)
    answers: list = [None] * THREADS

    def run(i):
        try:
            start.wait(timeout=30)
            answers[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return answers


def test_one_charge_when_the_same_source_is_captured_at_once(tariff, clerk, patient):
    def capture(_):
        return services.capture_charge(
            actor=clerk,
            patient=patient,
            item_code="FBC",
            source="lab-order:42",
            service_date=dt.date(2026, 3, 2),
        ).pk

    answers = race(capture)

    assert Charge.objects.count() == 1
    assert answers == [Charge.objects.get().pk] * THREADS


def test_invoices_finalised_at_once_get_gapless_numbers(tariff, clerk, facility):
    from hms.patients.testing import registered

    drafts = []
    for n in range(THREADS):
        patient = registered(facility, given_name=f"Racer{n}")
        services.capture_charge(
            actor=clerk,
            patient=patient,
            item_code="CONS",
            source=f"c{n}",
            service_date=dt.date(2026, 3, 2),
        )
        drafts.append(services.draft_invoice(actor=clerk, patient=patient))

    answers = race(lambda i: services.finalise_invoice(actor=clerk, invoice=drafts[i]).number)

    year = Invoice.objects.first().finalised_at.year
    assert sorted(answers) == [f"RGH-{year}-{n:06d}" for n in range(1, THREADS + 1)]
