"""Claims: the payer's portion of a final invoice, built as a draft, checked, and
submitted. A claim with problems (no diagnosis, an item without a code, a service
outside the coverage's dates, an item the plan pays only with an approval that was
never given) is refused at submission with the whole list, so the clerk fixes them
all at once instead of one per try.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.fhir_claims import claims_bundle
from hms.billing.models import Claim, Invoice, Payer, PreAuthorisation
from hms.billing.x12 import Provider, ProviderNotConfigured, validate_837, write_837p
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import author
from hms.core.sequences import next_number

# ICD-10 (and ICD-10-CM): a letter, two characters, then up to four after the dot.
_ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
MAX_DIAGNOSES = 12  # what one X12 HI segment holds


class ClaimErrorCode(StrEnum):
    INVOICE_NOT_FINAL = "INVOICE_NOT_FINAL"
    NO_PAYER_PORTION = "NO_PAYER_PORTION"
    CLAIM_NOT_DRAFT = "CLAIM_NOT_DRAFT"
    CLAIM_HAS_PROBLEMS = "CLAIM_HAS_PROBLEMS"
    NOTHING_TO_EXPORT = "NOTHING_TO_EXPORT"
    INVALID_X12 = "INVALID_X12"
    # the problems validate_claim lists
    MISSING_DIAGNOSIS = "MISSING_DIAGNOSIS"
    MISSING_ITEM_CODE = "MISSING_ITEM_CODE"
    COVERAGE_NOT_IN_FORCE = "COVERAGE_NOT_IN_FORCE"
    MISSING_PREAUTH = "MISSING_PREAUTH"
    MISSING_SUBSCRIBER = "MISSING_SUBSCRIBER"
    MISSING_PATIENT_ADDRESS = "MISSING_PATIENT_ADDRESS"
    CLAIM_NOT_SUBMITTED = "CLAIM_NOT_SUBMITTED"
    CLAIM_NOT_CORRECTABLE = "CLAIM_NOT_CORRECTABLE"
    PROVIDER_NOT_CONFIGURED = "PROVIDER_NOT_CONFIGURED"


@dataclass(frozen=True)
class Problem:
    code: str
    field: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "detail": self.detail}


class ClaimHasProblems(Conflict):
    """A 409 whose body lists every problem of every claim refused."""

    code = ClaimErrorCode.CLAIM_HAS_PROBLEMS

    def __init__(self, problems: dict[str, list[Problem]]):
        count = sum(len(found) for found in problems.values())
        super().__init__(f"{count} problem(s) must be fixed before submission.", field="claims")
        self.problems = problems

    def as_dict(self) -> dict:
        body: dict = super().as_dict()
        body["problems"] = {
            number: [p.as_dict() for p in found] for number, found in self.problems.items()
        }
        return body


def _diagnoses(value: object) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) > MAX_DIAGNOSES:
        raise InvalidInput(
            f"Give a list of at most {MAX_DIAGNOSES} ICD-10 codes.", field="diagnosis_codes"
        )
    codes = []
    for code in value:
        if not isinstance(code, str) or not _ICD10.match(code.strip().upper()):
            raise InvalidInput(
                f"{str(code)[:20]!r} is not an ICD-10 code.", field="diagnosis_codes"
            )
        codes.append(code.strip().upper())
    if len(set(codes)) != len(codes):
        raise InvalidInput("A diagnosis code is given twice.", field="diagnosis_codes")
    return codes


def build_claim(*, actor: Any, invoice: Invoice, diagnosis_codes: Iterable[str] = ()) -> Claim:
    """A draft claim for the payer's portion of a final (or paid) invoice. Requires
    MANAGE_INVOICES. Building it again returns the first claim. Conflict
    (INVOICE_NOT_FINAL, NO_PAYER_PORTION); InvalidInput for bad diagnosis codes."""
    policies.check_manage_invoices(actor, invoice.facility)
    codes = _diagnoses(list(diagnosis_codes) if not isinstance(diagnosis_codes, str) else None)
    with transaction.atomic():
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("coverage__plan")
            .get(pk=invoice.pk)
        )
        existing = Claim.objects.filter(invoice=locked).first()
        if existing is not None:
            return existing
        if locked.status not in (Invoice.Status.FINAL, Invoice.Status.PAID):
            raise Conflict(
                f"The invoice is {locked.status}: only a final invoice is claimed.",
                code=ClaimErrorCode.INVOICE_NOT_FINAL,
                field="invoice",
            )
        if locked.coverage is None or not locked.payer_amount:
            raise Conflict(
                "The invoice has no payer portion to claim.",
                code=ClaimErrorCode.NO_PAYER_PORTION,
                field="invoice",
            )
        user = author(actor)
        claim = Claim.objects.create(
            facility=locked.facility,
            invoice=locked,
            coverage=locked.coverage,
            payer=locked.coverage.plan.payer,
            amount=locked.payer_amount,
            currency=locked.currency,
            diagnosis_codes=codes,
            control_number=locked.number,
            created_by=user,
            updated_by=user,
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=claim,
            patient_id=str(locked.patient.external_id),
            reason=f"Claim {claim.control_number} for {claim.amount} {claim.currency}",
        )
    return claim


def validate_claim(claim: Claim) -> list[Problem]:
    """Every reason the payer would refuse the claim, none when it is ready."""
    problems: list[Problem] = []
    if not claim.diagnosis_codes:
        problems.append(
            Problem(ClaimErrorCode.MISSING_DIAGNOSIS, "diagnosis_codes", "Give a diagnosis code.")
        )
    coverage = claim.coverage
    problems.extend(_subscriber_problems(coverage))
    needs_approval = set(coverage.plan.preauth_items.values_list("id", flat=True))
    lines = claim.invoice.lines.select_related("charge__item").order_by("position")
    for line in lines:
        charge, where = line.charge, f"lines[{line.position}]"
        if not charge.item.code.strip():
            problems.append(
                Problem(ClaimErrorCode.MISSING_ITEM_CODE, where, f"{line.description}: no code.")
            )
        if not coverage.covers(charge.service_date):
            problems.append(
                Problem(
                    ClaimErrorCode.COVERAGE_NOT_IN_FORCE,
                    where,
                    f"The coverage was not in force on {charge.service_date.isoformat()}.",
                )
            )
        if charge.item_id in needs_approval and not _approved(coverage, charge):
            problems.append(
                Problem(
                    ClaimErrorCode.MISSING_PREAUTH,
                    where,
                    f"{charge.item.code} needs the payer's approval for "
                    f"{charge.service_date.isoformat()}.",
                )
            )
    return problems


def _subscriber_problems(coverage) -> list[Problem]:
    """A dependant's claim names the policyholder (X12 loop 2000B), so the coverage
    must hold the policyholder's names and birth date."""
    if coverage.relationship == coverage.Relationship.SELF:
        return []
    needed = [
        ("subscriber_family_name", "family name"),
        ("subscriber_given_name", "given name"),
        ("subscriber_birth_date", "birth date"),
    ]
    problems = [
        Problem(
            ClaimErrorCode.MISSING_SUBSCRIBER,
            f"coverage.{name}",
            f"The patient is the policyholder's {coverage.relationship}: give the "
            f"policyholder's {what}.",
        )
        for name, what in needed
        if not getattr(coverage, name)
    ]
    # Loop 2010CA requires the dependant's own address.
    address = coverage.patient.address or {}
    if not (address.get("line") and address.get("city")):
        problems.append(
            Problem(
                ClaimErrorCode.MISSING_PATIENT_ADDRESS,
                "patient.address",
                "A dependant's claim needs the patient's address (line and city).",
            )
        )
    return problems


def _approved(coverage, charge) -> bool:
    """An approval given for the item and still good on the service day; one that has
    expired since then still covered that day."""
    return PreAuthorisation.objects.filter(
        coverage=coverage,
        item_id=charge.item_id,
        status__in=[PreAuthorisation.Status.APPROVED, PreAuthorisation.Status.EXPIRED],
        expires_on__gte=charge.service_date,
    ).exists()


def submit_claims(
    *, actor: Any, claims: Iterable[Claim], skip_permission_checks: bool = False
) -> list[Claim]:
    """Mark draft claims submitted, all or none. Requires MANAGE_INVOICES (the export
    command, run by the operator at the console, skips the check). Conflict
    (CLAIM_NOT_DRAFT) for one submitted already; ClaimHasProblems (409) listing the
    problems of every claim that has any."""
    claims = list(claims)
    if not claims:
        raise InvalidInput("Choose the claims to submit.", field="claims")
    for claim in claims:
        if not skip_permission_checks:
            policies.check_manage_invoices(actor, claim.facility)
    now, user = timezone.now(), author(actor)
    with transaction.atomic():
        locked = list(
            Claim.objects.select_for_update(of=("self",))
            .filter(pk__in=[c.pk for c in claims])
            .select_related("coverage__plan", "invoice__patient")
            .order_by("pk")
        )
        problems: dict[str, list[Problem]] = {}
        for claim in locked:
            if claim.status != Claim.Status.DRAFT:
                raise Conflict(
                    f"Claim {claim.control_number} is {claim.status} already.",
                    code=ClaimErrorCode.CLAIM_NOT_DRAFT,
                    field="claims",
                )
            found = validate_claim(claim)
            if found:
                problems[claim.control_number] = found
        if problems:
            raise ClaimHasProblems(problems)
        for claim in locked:
            claim.status, claim.submitted_at, claim.updated_by = Claim.Status.SUBMITTED, now, user
            claim.save(update_fields=["status", "submitted_at", "updated_by", "updated_at"])
            record_event(
                action=Action.UPDATE,
                actor=actor,
                obj=claim,
                patient_id=str(claim.invoice.patient.external_id),
                reason=f"Claim {claim.control_number} submitted",
            )
    return locked


@dataclass(frozen=True)
class Export:
    text: str  # the file's content
    claims: list[Claim]  # submitted by this export
    left_out: dict[str, list[Problem]]  # by control number: drafts not ready yet


def export_claims(
    *, actor: Any, payer: Payer, file_format: str, skip_permission_checks: bool = False
) -> Export:
    """Submit the payer's ready draft claims and return them as one file: an X12 837P
    interchange (checked with pyx12; a file it rejects submits nothing) or a FHIR
    Bundle. Drafts with problems are left out and listed. InvalidInput (format);
    Conflict (NOTHING_TO_EXPORT) when no draft is ready."""
    if not skip_permission_checks:
        policies.check_manage_invoices(actor, payer.facility)
    if file_format not in ("x12", "fhir"):
        raise InvalidInput("Choose x12 or fhir.", field="format")
    now = timezone.now()
    with transaction.atomic():
        drafts = (
            Claim.objects.select_for_update(of=("self",))
            .filter(payer=payer, status=Claim.Status.DRAFT)
            .select_related("coverage__plan", "invoice__patient", "payer", "facility")
            .order_by("pk")
        )
        ready, left_out = [], {}
        for claim in drafts:
            found = validate_claim(claim)
            if found:
                left_out[claim.control_number] = found
            else:
                ready.append(claim)
        if not ready:
            raise Conflict(
                f"No draft claim for {payer.code} is ready to export.",
                code=ClaimErrorCode.NOTHING_TO_EXPORT,
                field="payer",
            )
        submitted = submit_claims(
            actor=actor, claims=ready, skip_permission_checks=skip_permission_checks
        )
        if file_format == "fhir":
            text = claims_bundle(submitted, now=now).model_dump_json(exclude_none=True, indent=1)
        else:
            text = _interchange(submitted, payer, now)
    return Export(text=text, claims=submitted, left_out=left_out)


def _interchange(claims: list[Claim], payer: Payer, now) -> str:
    facility = payer.facility
    control = next_number(f"x12-interchange:{facility.code}")
    local = timezone.localtime(now, zoneinfo.ZoneInfo(facility.timezone))
    try:
        provider = Provider.from_settings()
    except ProviderNotConfigured as exc:
        raise Conflict(
            str(exc), code=ClaimErrorCode.PROVIDER_NOT_CONFIGURED, field="provider"
        ) from None
    text = write_837p(
        claims, facility=facility, payer=payer, control_number=control, now=local,
        provider=provider,
    )  # fmt: skip
    check = validate_837(text)
    if not check.ok:
        # Our writer's fault, never the clerk's: refuse rather than send a bad file.
        raise Conflict(
            "The 837 file failed validation: " + "; ".join(check.errors[:5]),
            code=ClaimErrorCode.INVALID_X12,
            field="format",
        )
    return text


def acknowledge_claim(
    *, actor: Any, claim: Claim, accepted: bool, reason: str = "", payer_claim_number: str = ""
) -> Claim:
    """Record the payer's (or clearinghouse's) answer on receipt of a submitted claim:
    accepted for adjudication, or rejected with the reason it gave. Requires
    MANAGE_INVOICES. Locks the claim. The same answer given again changes nothing.
    Conflict (CLAIM_NOT_SUBMITTED) for a claim not awaiting an answer; InvalidInput
    for a rejection without a reason."""
    policies.check_manage_invoices(actor, claim.facility)
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise InvalidInput("Say why the claim was rejected.", field="reason")
    if len(reason) > 500 or len(payer_claim_number) > 50:
        raise InvalidInput("The reason or the payer's claim number is too long.", field="reason")
    status = Claim.Status.ACCEPTED if accepted else Claim.Status.REJECTED
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("invoice__patient")
            .get(pk=claim.pk)
        )
        if locked.status == status:
            return locked
        if locked.status != Claim.Status.SUBMITTED:
            raise Conflict(
                f"Claim {locked.control_number} is {locked.status}: only a submitted claim "
                "is acknowledged.",
                code=ClaimErrorCode.CLAIM_NOT_SUBMITTED,
                field="claim",
            )
        locked.status, locked.status_reason = status, reason
        locked.payer_claim_number = payer_claim_number.strip() or locked.payer_claim_number
        locked.updated_by = author(actor)
        locked.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.invoice.patient.external_id),
            reason=f"Claim {locked.control_number} {status}",
        )
    return locked


def correct_claim(
    *, actor: Any, claim: Claim, diagnosis_codes: Iterable[str] | None = None
) -> Claim:
    """Take a rejected or denied claim back to draft, corrected, for resubmission
    through the same export: its attempt goes up by one, so the 837 marks it as a
    replacement of the payer's claim (CLM05-3 7, REF*F8) when the payer numbered it.
    The amounts posted from remittances stay: a payer reverses its own postings.
    Requires MANAGE_INVOICES. Locks the claim. Conflict (CLAIM_NOT_CORRECTABLE) for a
    claim in another state; InvalidInput for bad codes; ClaimHasProblems (409) when
    the corrected claim still has problems, saving nothing."""
    policies.check_manage_invoices(actor, claim.facility)
    codes = None
    if diagnosis_codes is not None:
        codes = _diagnoses(list(diagnosis_codes) if not isinstance(diagnosis_codes, str) else None)
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("coverage__plan", "invoice__patient")
            .get(pk=claim.pk)
        )
        if locked.status not in (Claim.Status.REJECTED, Claim.Status.DENIED):
            raise Conflict(
                f"Claim {locked.control_number} is {locked.status}: only a rejected or "
                "denied claim is corrected.",
                code=ClaimErrorCode.CLAIM_NOT_CORRECTABLE,
                field="claim",
            )
        if codes is not None:
            locked.diagnosis_codes = codes
        problems = validate_claim(locked)
        if problems:
            raise ClaimHasProblems({locked.control_number: problems})
        was = locked.status
        locked.status, locked.submitted_at = Claim.Status.DRAFT, None
        locked.attempt += 1
        locked.status_reason = f"Corrected after it was {was}"
        locked.updated_by = author(actor)
        locked.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.invoice.patient.external_id),
            reason=f"Claim {locked.control_number} corrected for attempt {locked.attempt}",
        )
    return locked
