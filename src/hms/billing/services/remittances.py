"""Remittances: a payer's X12 835 payment advice, posted to the claims it answers.

Each transaction set of the file is one payment (a Remittance, unique per payer and
trace number, so the same file imported again posts nothing). Each CLP in it is kept
as a RemittanceClaim and, when its number is one of our submitted claims of that
payer, posted to the claim: what was paid, what was adjusted away, what the patient
owes, and the claim's new status. A file that is not a readable 835, or that would
post more to a claim than its amount, is refused whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Claim, Payer, Remittance, RemittanceClaim
from hms.billing.x12_835 import ClaimPayment, Malformed835, Payment, read_835
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility, author

MAX_FILE_BYTES = 10 * 1024 * 1024
DENIED, REVERSAL = "4", "22"
# Adjustments the provider writes off: contractual (CO), other (OA), payer initiated
# (PI) and the retired correction group (CR). PR is what the patient owes.
WRITTEN_OFF = {"CO", "OA", "PI", "CR"}
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Posting:
    """What one CLP did: the claim's status after it, or `unmatched` with why."""

    line: RemittanceClaim
    outcome: str
    note: str = ""


@dataclass(frozen=True)
class RemittanceImport:
    remittances: list[Remittance]  # the file's payments, new or imported before
    already_imported: list[Remittance]  # those imported before: nothing posted again
    postings: list[Posting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what pyx12 found and we ignore


def import_remittance(
    *,
    actor: Any,
    content: bytes | str,
    file_name: str = "",
    payer: Payer | None = None,
    facility: Facility | None = None,
    skip_permission_checks: bool = False,
) -> RemittanceImport:
    """Import an 835 file and post its claim payments, all in one transaction.
    Requires MANAGE_INVOICES in the payer's facility (or `facility` when the file is
    to name its payer, by N1*PR N104 or REF*2U, matched to Payer.x12_payer_id or code);
    the import command, run by the operator at the console, skips the check.

    Locks the payer's row before looking for its trace number, so two imports of one
    file post once: the second finds the first's remittance and returns it under
    `already_imported`. Locks the claims it posts to. Refuses, saving nothing:
    a file that is not a valid 835 (InvalidInput INVALID_835 naming the problem),
    one too large, a payer the file does not name (InvalidInput on `payer`), and a
    posting that would pay a claim more than its amount or take back more than was
    paid (Conflict OVERPOSTED)."""
    facility = payer.facility if payer is not None else facility
    if facility is None:
        raise InvalidInput("Name the payer or the facility.", field="payer")
    if not skip_permission_checks:
        policies.check_manage_invoices(actor, facility)
    raw = content.encode() if isinstance(content, str) else bytes(content)
    advice = _advice(raw)
    digest = hashlib.sha256(raw).hexdigest()
    payers = [_payer_of(payment, facility, payer) for payment in advice.payments]
    result = RemittanceImport(remittances=[], already_imported=[], warnings=advice.warnings)
    with transaction.atomic():
        for payment, paid_by in zip(advice.payments, payers, strict=True):
            # The lock makes a concurrent import of the same file wait here, then see
            # this one's remittance below.
            Payer.objects.select_for_update().filter(pk=paid_by.pk).first()
            existing = Remittance.objects.filter(
                facility=facility, payer=paid_by, trace_number=payment.trace_number
            ).first()
            if existing is not None:
                result.remittances.append(existing)
                result.already_imported.append(existing)
                continue
            remittance = _remittance(actor, payment, paid_by, file_name, digest)
            result.remittances.append(remittance)
            result.postings.extend(_post(actor, remittance, payment))
    return result


def _advice(raw: bytes):
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"The file is {len(raw)} bytes; an 835 of at most {MAX_FILE_BYTES} is taken.",
            code=BillingErrorCode.INVALID_835,
            field="file",
        )
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"The file is not X12 text: byte {exc.start} is not ASCII.",
            code=BillingErrorCode.INVALID_835,
            field="file",
        ) from None
    try:
        return read_835(text)
    except Malformed835 as exc:
        raise InvalidInput(str(exc), code=BillingErrorCode.INVALID_835, field="file") from None


def _payer_of(payment: Payment, facility: Facility, given: Payer | None) -> Payer:
    """The payer the file names must be the one given; without one, it must be ours."""
    named = {value.upper() for value in payment.payer_ids}
    if given is not None:
        ours = {given.code.upper(), given.x12_payer_id.upper()} - {""}
        if named and not named & ours:
            raise InvalidInput(
                f"The 835 (trace {payment.trace_number}) is from payer "
                f"{', '.join(sorted(named))}, not {given.code}.",
                code=BillingErrorCode.WRONG_PAYER,
                field="payer",
            )
        return given
    found = [
        p
        for p in Payer.objects.filter(facility=facility)
        if named & ({p.code.upper(), p.x12_payer_id.upper()} - {""})
    ]
    if len(found) != 1:
        what = ", ".join(sorted(named)) or "no payer id"
        raise InvalidInput(
            f"The 835 names {what}, which is not exactly one of our payers: name the payer.",
            code=BillingErrorCode.WRONG_PAYER,
            field="payer",
        )
    return found[0]


def _remittance(actor, payment: Payment, payer: Payer, file_name: str, digest: str):
    user = author(actor)
    return Remittance.objects.create(
        facility=payer.facility,
        payer=payer,
        trace_number=payment.trace_number,
        payment_method=payment.method,
        payment_date=payment.payment_date,
        total_paid=payment.total_paid,
        currency=payer.facility.currency,
        file_name=file_name[:255],
        file_sha256=digest,
        received_at=timezone.now(),
        created_by=user,
        updated_by=user,
    )


def _post(actor, remittance: Remittance, payment: Payment) -> list[Posting]:
    numbers = {claim.control_number for claim in payment.claims}
    claims = {
        claim.control_number: claim
        for claim in Claim.objects.select_for_update(of=("self",))
        .filter(facility=remittance.facility, payer=remittance.payer, control_number__in=numbers)
        .select_related("invoice__patient")
        .order_by("pk")
    }
    postings, touched = [], {}
    for position, paid in enumerate(payment.claims, start=1):
        line = RemittanceClaim.objects.create(
            remittance=remittance,
            control_number=paid.control_number,
            status_code=paid.status_code,
            charged=paid.charged,
            paid=paid.paid,
            patient_responsibility=paid.patient_responsibility,
            payer_claim_number=paid.payer_claim_number,
            adjustments=[a.as_dict() for a in paid.adjustments],
            position=position,
        )
        claim = claims.get(paid.control_number)
        if claim is None or claim.status == Claim.Status.DRAFT:
            why = "not one of our claims" if claim is None else "the claim was never sent"
            postings.append(Posting(line, UNMATCHED, why))
            continue
        _apply(claim, paid, remittance)
        line.claim = claim
        line.save(update_fields=["claim"])
        touched[claim.pk] = claim
        postings.append(Posting(line, claim.status))
    user = author(actor)
    for claim in touched.values():
        claim.updated_by = user
        claim.save()
    _audit(actor, remittance, touched.values(), len(postings))
    return postings


def _apply(claim: Claim, paid: ClaimPayment, remittance: Remittance) -> None:
    """Add one CLP's amounts to the claim's totals and set its status from them. A
    reversal (CLP02 22) carries the original's amounts negated and takes them back."""
    reversal = paid.status_code == REVERSAL
    # Payers send reversals negated, as the 835 guide asks; a positive one is negated here.
    sign = Decimal(-1) if reversal and paid.charged > 0 else Decimal(1)
    written_off = sum((a.amount for a in paid.adjustments if a.group in WRITTEN_OFF), Decimal(0))
    patient = paid.patient_responsibility or sum(
        (a.amount for a in paid.adjustments if a.group == "PR"), Decimal(0)
    )
    total_paid = claim.paid_amount + sign * paid.paid
    if total_paid > claim.amount:
        raise Conflict(
            f"Claim {claim.control_number}: {paid.paid} paid now would make "
            f"{total_paid}, more than its amount {claim.amount}. Nothing was imported.",
            code=BillingErrorCode.OVERPOSTED,
            field="file",
        )
    if total_paid < 0:
        raise Conflict(
            f"Claim {claim.control_number}: the reversal takes back more than was paid "
            f"({claim.paid_amount}). Nothing was imported.",
            code=BillingErrorCode.OVERPOSTED,
            field="file",
        )
    claim.paid_amount = total_paid
    claim.adjusted_amount += sign * written_off
    claim.patient_responsibility += sign * patient
    claim.payer_claim_number = paid.payer_claim_number or claim.payer_claim_number
    claim.status = _status(claim, paid, reversal)
    cut = claim.status in (Claim.Status.DENIED, Claim.Status.PARTIALLY_PAID)
    codes = [f"{a.group}-{a.reason}" for a in paid.adjustments if a.group != "PR"]
    claim.denial_reason_codes = list(dict.fromkeys(codes)) if cut else []
    claim.status_reason = (
        f"Remittance {remittance.trace_number}: "
        f"{'reversed' if reversal else claim.get_status_display().lower()}, "
        f"{claim.paid_amount} paid"
    )[:500]


def _status(claim: Claim, paid: ClaimPayment, reversal: bool) -> str:
    if reversal and not (claim.paid_amount or claim.adjusted_amount):
        # All taken back: the payer holds the claim open again (a corrected payment
        # usually follows in the same file).
        return Claim.Status.ACCEPTED
    if paid.status_code == DENIED:
        return Claim.Status.DENIED
    if claim.paid_amount and (
        claim.paid_amount >= claim.amount
        or claim.paid_amount + claim.adjusted_amount >= claim.amount
    ):
        return Claim.Status.PAID
    if claim.paid_amount:
        return Claim.Status.PARTIALLY_PAID
    if paid.adjustments:
        return Claim.Status.DENIED
    return Claim.Status.ACCEPTED


def _audit(actor, remittance: Remittance, claims, count: int) -> None:
    record_event(
        action=Action.CREATE,
        actor=actor,
        obj=remittance,
        reason=f"Remittance {remittance.trace_number}: {remittance.total_paid} "
        f"{remittance.currency}, {count} claim payment(s)",
    )
    for claim in claims:
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=claim,
            patient_id=str(claim.invoice.patient.external_id),
            reason=f"Claim {claim.control_number} {claim.status} by remittance "
            f"{remittance.trace_number}",
        )
