"""The same 835 imported by two clerks at once, in real threads on PostgreSQL: the
payer's row lock makes the second find the first's remittance, so it posts once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from hms.billing.models import Claim, Remittance, RemittanceClaim
from hms.billing.services.remittances import import_remittance
from hms.billing.tests.claim_helpers import payer_and_plan
from hms.billing.tests.remittance_helpers import an_835, payment, submitted_claim

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers: pytest-django's shared-cache in-memory SQLite "
        "database fails a second writer at once with 'database table is locked'",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_two_imports_of_one_file_at_once_post_once(facility, supervisor, clerk, tariff):
    payer, plan = payer_and_plan(supervisor, facility, tariff)
    claim = submitted_claim(clerk, facility, plan)
    text = an_835(payment(claim, claim.amount - 100))
    start, answers = threading.Barrier(2), [None, None]

    def run(i):
        try:
            start.wait(timeout=30)
            result = import_remittance(actor=clerk, payer=payer, content=text, file_name="r")
            answers[i] = "again" if result.already_imported else "posted"
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion
            answers[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == ["again", "posted"], answers
    assert Remittance.objects.count() == 1
    assert RemittanceClaim.objects.count() == 1
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.paid_amount == claim.amount - Decimal(100)
