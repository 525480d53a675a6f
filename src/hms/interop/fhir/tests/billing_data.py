"""Billing at Riverside General for the FHIR tests, made through the billing services:
Juma is insured by AAR (plan GOLD) and has a final invoice of 2,856.00 KES claimed
from AAR; the claim is submitted and answered by an 835 remittance paying part of it.
Wanjiru is insured by AAR too, and AAR denies her claim."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from hms.audit.models import AuditEvent
from hms.audit.selectors import search_events
from hms.billing.models import Claim, Coverage, Invoice, Payer, Remittance
from hms.billing.services import claims as claim_services
from hms.billing.services import insurance, remittances
from hms.billing.tests.claim_helpers import covered_claim, payer_and_plan
from hms.billing.x12_835 import Adjustment, ClaimPayment, write_835
from hms.patients.testing import registered

TRACE = "EFT-20260310-01"
PAID_ON = dt.date(2026, 3, 10)


@dataclass
class Insured:
    payer: Payer
    juma_coverage: Coverage
    juma_invoice: Invoice
    juma_claim: Claim
    wanjiru_coverage: Coverage
    wanjiru_claim: Claim
    remittance: Remittance


def insured(facility, supervisor, clerk, tariff, patient) -> Insured:
    """Juma (`patient`) and Wanjiru, insured, claimed, and answered by one 835."""
    payer, plan = payer_and_plan(supervisor, facility, tariff)
    juma_claim = covered_claim(clerk, patient, plan, member_id="AAR-0012-3456")
    wanjiru = registered(facility, given_name="Wanjiru", family_name="Kamau", sex="female")
    wanjiru_claim = covered_claim(clerk, wanjiru, plan, member_id="AAR-7788-0001")
    claim_services.submit_claims(actor=clerk, claims=[juma_claim, wanjiru_claim])
    juma_claim.refresh_from_db()
    wanjiru_claim.refresh_from_db()
    paid = juma_claim.amount - Decimal("100.00")
    answers = [
        ClaimPayment(
            control_number=juma_claim.control_number,
            status_code="1",
            charged=juma_claim.amount,
            paid=paid,
            patient_responsibility=Decimal("40.00"),
            payer_claim_number="AAR-CLM-1",
            adjustments=(
                Adjustment("CO", "45", Decimal("60.00")),
                Adjustment("PR", "2", Decimal("40.00")),
            ),
        ),
        ClaimPayment(
            control_number=wanjiru_claim.control_number,
            status_code="4",
            charged=wanjiru_claim.amount,
            paid=Decimal(0),
            payer_claim_number="AAR-CLM-2",
            adjustments=(Adjustment("CO", "16", wanjiru_claim.amount),),
        ),
    ]
    text = write_835(
        answers,
        payer_name="AAR INSURANCE",
        payer_id=payer.x12_payer_id,
        payee_name="RIVERSIDE GENERAL",
        payee_npi="1234567893",
        trace_number=TRACE,
        control_number=1,
        now=timezone.now(),
        payment_date=PAID_ON,
    )
    posted = remittances.import_remittance(actor=clerk, content=text, payer=payer)
    juma_claim.refresh_from_db()
    wanjiru_claim.refresh_from_db()
    return Insured(
        payer=payer,
        juma_coverage=juma_claim.coverage,
        juma_invoice=juma_claim.invoice,
        juma_claim=juma_claim,
        wanjiru_coverage=wanjiru_claim.coverage,
        wanjiru_claim=wanjiru_claim,
        remittance=posted.remittances[0],
    )


def eligibility_checked(clerk, coverage, outcome: str = "eligible", note: str = ""):
    """A check of `coverage` recorded a minute ago through the service."""
    return insurance.record_eligibility(
        actor=clerk,
        coverage=coverage,
        outcome=outcome,
        note=note,
        checked_at=timezone.now() - dt.timedelta(minutes=1),
    )


def read(client, url: str) -> dict:
    """The JSON of a 200 answer, checked to be FHIR JSON."""
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json"
    return json.loads(response.content)


def ids(bundle: dict) -> list[str]:
    assert Bundle.model_validate(bundle).type == "searchset"
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def reads_of(patient, reason: str) -> int:
    """How many audited reads of `patient` gave `reason`."""
    reads = search_events(action=AuditEvent.Action.READ, patient_id=str(patient.external_id))
    return reads.filter(reason=reason).count()
