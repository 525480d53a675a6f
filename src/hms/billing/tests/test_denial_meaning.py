"""A payer's denial codes are shown with what they mean (X12 CARC texts)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hms.accounts.testing import verified_session
from hms.billing.carc import meaning
from hms.billing.tests.claim_helpers import payer_and_plan
from hms.billing.tests.remittance_helpers import an_835, payment, submitted_claim

NECESSITY = "not deemed a &#x27;medical necessity&#x27; by the payer"


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("CO-45", "Contractual obligation: Charge exceeds fee schedule"),
        ("PR-2", "Patient responsibility: Coinsurance amount."),
        ("co-197", "Contractual obligation: Precertification/authorization"),
        ("16", "Claim/service lacks information"),
        ("CO-9999", ""),
        ("nonsense", ""),
    ],
)
def test_a_code_reads_as_its_group_and_reason(code, text):
    assert str(meaning(code)).startswith(text)
    assert bool(meaning(code)) == bool(text)


@pytest.mark.django_db
def test_a_denied_claim_shows_what_its_code_means(clerk, facility, supervisor, tariff):
    plan = payer_and_plan(supervisor, facility, tariff)[1]
    denied = submitted_claim(clerk, facility, plan, given_name="Denied")
    file = an_835(payment(denied, "0", ("CO", "50", denied.amount), status="4")).encode()
    client = verified_session(Client(), clerk)
    client.post(reverse("billing:remittance-upload"), {"file": SimpleUploadedFile("e.835", file)})

    claim_page = client.get(reverse("billing:claim", args=[denied.external_id])).content.decode()
    worklist = client.get(reverse("billing:claims")).content.decode()

    assert "<strong>CO-50</strong> Contractual obligation: These are non-covered" in claim_page
    assert NECESSITY in claim_page
    assert NECESSITY in worklist
