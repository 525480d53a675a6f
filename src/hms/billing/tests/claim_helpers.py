"""A covered patient with a final invoice and its draft claim, made through the services."""

from __future__ import annotations

import datetime as dt

from hms.billing.services import claims, insurance
from hms.billing.tests.payment_helpers import final_invoice_for

START = dt.date(2026, 1, 1)


def payer_and_plan(supervisor, facility, tariff, *, code="AAR", preauth=()):
    payer = insurance.add_payer(
        actor=supervisor,
        facility=facility,
        code=code,
        name=f"{code} Insurance",
        kind="insurer",
        x12_payer_id=f"{code}01",
    )
    plan = insurance.add_plan(
        actor=supervisor,
        payer=payer,
        code="GOLD",
        name="Gold",
        copay="200",
        coinsurance_percent="10",
        deductible="0",
        preauth_items=list(preauth),
    )
    return payer, plan


def covered_claim(clerk, patient, plan, *, diagnosis_codes=("J06.9",), **coverage):
    # each patient their own card: one member number names one policyholder
    fields = {"member_id": f"AAR-{patient.mrn}", "valid_from": START, **coverage}
    insurance.add_coverage(actor=clerk, patient=patient, plan=plan, **fields)
    invoice = final_invoice_for(clerk, patient)
    return claims.build_claim(actor=clerk, invoice=invoice, diagnosis_codes=diagnosis_codes)
