"""Submitted claims and the 835 files a payer would send back for them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hms.billing.services import claims
from hms.billing.tests.claim_helpers import covered_claim
from hms.billing.x12_835 import Adjustment, ClaimPayment, write_835
from hms.patients.testing import registered

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


def submitted_claim(clerk, facility, plan, **names):
    claim = covered_claim(clerk, registered(facility, **names), plan)
    [claim] = claims.submit_claims(actor=clerk, claims=[claim])
    return claim


def payment(claim, paid, *adjustments, status="1", number="PCN-1"):
    """A CLP for `claim`: `paid` of it, the patient's portion as PR-3, and any other
    (group, reason, amount) adjustments."""
    patient = claim.invoice.patient_amount
    cas = [Adjustment(g, r, Decimal(a)) for g, r, a in adjustments]
    if patient:
        cas.append(Adjustment("PR", "3", patient))
    return ClaimPayment(
        control_number=claim.control_number,
        status_code=status,
        charged=claim.invoice.total,
        paid=Decimal(paid),
        patient_responsibility=patient,
        payer_claim_number=number,
        adjustments=tuple(cas),
        patient_family_name="DOE",
        member_id="M1",
    )


def reversal(original: ClaimPayment) -> ClaimPayment:
    """The payer's reversal of an earlier CLP: status 22, every amount negated."""
    return ClaimPayment(
        control_number=original.control_number,
        status_code="22",
        charged=-original.charged,
        paid=-original.paid,
        patient_responsibility=-original.patient_responsibility,
        payer_claim_number=original.payer_claim_number,
        adjustments=tuple(Adjustment(a.group, a.reason, -a.amount) for a in original.adjustments),
        patient_family_name="DOE",
        member_id="M1",
    )


def an_835(*claims, trace="EFT-0001", payer_id="AAR01"):
    return write_835(
        claims,
        payer_name="AAR Insurance",
        payer_id=payer_id,
        payee_name="Riverside General",
        payee_npi="1234567893",
        trace_number=trace,
        control_number=1,
        now=NOW,
    )
