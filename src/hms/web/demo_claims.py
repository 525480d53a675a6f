"""The demo month's claims, in every state a claim takes: drafts still to send (one
held back by a missing pre-authorisation), batches submitted to both payers,
acknowledged or rejected on receipt, one corrected and sent again, and an 835 from
the insurer that pays some in full, cuts one and denies one. The 835 is kept in the
data folder, as a payer would have sent it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from hms.accounts.models import User
from hms.billing.models import Claim, Invoice, Payer
from hms.billing.services import claims as claim_services
from hms.billing.services.remittances import import_remittance
from hms.billing.x12_835 import Adjustment, ClaimPayment, write_835
from hms.core.models import Facility

RECENT = dt.timedelta(days=7)


def load_demo_claims(hospital: Facility, insured: list[tuple[Invoice, str]]) -> None:
    clerk = User.objects.get(username="billing")
    now = timezone.now()
    older = [(i, d) for i, d in insured if i.finalised_at < now - RECENT]
    recent = [(i, d) for i, d in insured if i.finalised_at >= now - RECENT]
    # The older claims went out in a batch per payer; last week's wait for the next.
    for invoice, diagnosis in older:
        claim_services.build_claim(actor=clerk, invoice=invoice, diagnosis_codes=[diagnosis])
    for payer in Payer.objects.filter(facility=hospital):
        if payer.claims.filter(status=Claim.Status.DRAFT).exists():
            claim_services.export_claims(actor=clerk, payer=payer, file_format="x12")
    _answers(clerk, Payer.objects.get(facility=hospital, code="AAR"))
    for invoice, diagnosis in recent:
        claim_services.build_claim(actor=clerk, invoice=invoice, diagnosis_codes=[diagnosis])


def _answers(clerk: User, aar: Payer) -> None:
    sent = list(aar.claims.filter(status=Claim.Status.SUBMITTED).order_by("pk"))
    if len(sent) < 7:
        return
    rejected, corrected, *accepted = sent
    claim_services.acknowledge_claim(
        actor=clerk, claim=rejected, accepted=False, reason="Member ID not on file"
    )
    claim_services.acknowledge_claim(
        actor=clerk, claim=corrected, accepted=False, reason="Diagnosis code not billable"
    )
    claim_services.correct_claim(actor=clerk, claim=corrected, diagnosis_codes=["J06.9"])
    claim_services.export_claims(actor=clerk, payer=aar, file_format="x12")
    for number, claim in enumerate(accepted):
        claim_services.acknowledge_claim(
            actor=clerk, claim=claim, accepted=True, payer_claim_number=f"AAR{70120 + number}"
        )
    paid, cut, denied = accepted[:-3], accepted[-3], accepted[-2]
    _remit(clerk, aar, [*(_paid(c) for c in paid), _cut(cut), _denied(denied)])


def _paid(claim: Claim) -> ClaimPayment:
    return ClaimPayment(claim.control_number, "1", claim.amount, claim.amount, Decimal(0),
                        claim.payer_claim_number)  # fmt: skip


def _cut(claim: Claim) -> ClaimPayment:
    """Paid in part: the payer puts a fifth on the patient (co-insurance, CARC 2)."""
    paid = (claim.amount * Decimal("0.8")).quantize(Decimal("0.01"))
    owed = claim.amount - paid
    return ClaimPayment(claim.control_number, "1", claim.amount, paid, owed,
                        claim.payer_claim_number, (Adjustment("PR", "2", owed),))  # fmt: skip


def _denied(claim: Claim) -> ClaimPayment:
    reason = (Adjustment("CO", "50", claim.amount),)  # not medically necessary
    return ClaimPayment(claim.control_number, "4", claim.amount, Decimal(0), Decimal(0),
                        claim.payer_claim_number, reason)  # fmt: skip


def _remit(clerk: User, aar: Payer, payments: list[ClaimPayment]) -> None:
    text = write_835(
        payments,
        payer_name=aar.name,
        payer_id=aar.x12_payer_id,
        payee_name=aar.facility.name,
        payee_npi=settings.HMS_BILLING_NPI,
        trace_number="AAR-EFT-20260001",
        control_number=1,
        now=timezone.now(),
    )
    folder = settings.DATA_DIR / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "aar-remittance.835"
    path.write_text(text)
    import_remittance(actor=clerk, content=text, file_name=path.name, payer=aar)
