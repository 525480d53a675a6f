"""Insurance: payers and their plans, patients' coverages, eligibility checks and
pre-authorisations, and the payer/patient split an invoice takes at finalisation.

A coverage's member ID is stored encrypted (hms.core.fields), with a keyed blind index
of its compact form (letters and digits, upper-cased) beside it, so a card read out as
"ab-123 45" finds the coverage entered as "AB12345" without the database holding it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from hms.audit.services import Action, record_event
from hms.billing import policies
from hms.billing.errors import BillingErrorCode
from hms.billing.insurance import split
from hms.billing.models import (
    BillableItem,
    Coverage,
    EligibilityCheck,
    Invoice,
    Payer,
    Plan,
    PreAuthorisation,
    PriceList,
)
from hms.billing.services._common import a_date, amount_in, full_clean
from hms.billing.services.tariffs import _insert
from hms.core import crypto
from hms.core.bulk import fetch_prepared
from hms.core.errors import Conflict, InvalidInput
from hms.core.models import Facility, author
from hms.core.text import reason_text
from hms.patients.models import Patient


class InsuranceErrorCode(StrEnum):
    INVALID_MEMBER_ID = "INVALID_MEMBER_ID"
    DUPLICATE_COVERAGE = "DUPLICATE_COVERAGE"
    MEMBER_ID_TAKEN = "MEMBER_ID_TAKEN"
    COVERAGE_NOT_ACTIVE = "COVERAGE_NOT_ACTIVE"
    PREAUTH_NOT_PENDING = "PREAUTH_NOT_PENDING"
    PREAUTH_NOT_REQUIRED = "PREAUTH_NOT_REQUIRED"


def member_id_index(member_id: str) -> str:
    """The blind index a member ID is stored and looked up by."""
    compact = "".join(c for c in member_id if c.isalnum()).upper()
    return crypto.blind_index(compact, kind="coverage_member_id")


def add_payer(
    *, actor: Any, facility: Facility, code: str, name: str, kind: str, x12_payer_id: str = ""
) -> Payer:
    """Add a payer. Requires MANAGE_TARIFFS. InvalidInput naming the field for a bad
    code, name, kind or X12 id; Conflict (DUPLICATE_CODE) for a code in use."""
    policies.check_manage_tariffs(actor, facility)
    user = author(actor)
    payer = Payer(
        facility=facility,
        code=code,
        name=name,
        kind=kind,
        x12_payer_id=x12_payer_id,
        created_by=user,
        updated_by=user,
    )
    full_clean(payer, exclude=["facility"])
    with transaction.atomic():
        _insert(payer, "code", f"The code {code} is already in use.")
        record_event(action=Action.CREATE, actor=actor, obj=payer, reason=f"Payer {code}: {kind}")
    return payer


def add_plan(  # noqa: PLR0913 - a plan's terms, all by keyword
    *,
    actor: Any,
    payer: Payer,
    code: str,
    name: str,
    copay: Decimal | str | int = 0,
    coinsurance_percent: Decimal | str | int = 0,
    deductible: Decimal | str | int = 0,
    price_list: PriceList | None = None,
    preauth_items: Iterable[BillableItem] = (),
) -> Plan:
    """Add a plan of `payer` with its cost sharing. Requires MANAGE_TARIFFS.
    InvalidInput naming the field for a negative or over-precise amount, a co-insurance
    above 100 %, a price list or item of another facility; Conflict (DUPLICATE_CODE)
    for a code the payer already uses."""
    policies.check_manage_tariffs(actor, payer.facility)
    items = list(preauth_items)
    _same_facility(payer.facility_id, price_list, "price_list")
    for item in items:
        _same_facility(payer.facility_id, item, "preauth_items")
    user = author(actor)
    plan = Plan(
        payer=payer,
        code=code,
        name=name,
        copay=amount_in(copay, field="copay"),
        coinsurance_percent=amount_in(
            coinsurance_percent, field="coinsurance_percent", maximum=Decimal(100)
        ),
        deductible=amount_in(deductible, field="deductible"),
        price_list=price_list,
        created_by=user,
        updated_by=user,
    )
    full_clean(plan, exclude=["payer", "price_list"])
    with transaction.atomic():
        _insert(plan, "code", f"The payer already has a plan {code}.")
        plan.preauth_items.set(items)
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=plan,
            reason=(
                f"Plan {payer.code}/{code}: co-pay {plan.copay}, co-insurance "
                f"{plan.coinsurance_percent}%, deductible {plan.deductible}"
            ),
        )
    return plan


def _same_facility(facility_id: int, row, field: str) -> None:
    if row is not None and row.facility_id != facility_id:
        raise InvalidInput(
            "That belongs to another facility.", code=BillingErrorCode.WRONG_FACILITY, field=field
        )


def add_coverage(  # noqa: PLR0913 - a coverage's fields, all by keyword
    *,
    actor: Any,
    patient: Patient,
    plan: Plan,
    member_id: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    relationship: str = Coverage.Relationship.SELF,
    priority: int = 1,
    subscriber: Subscriber | None = None,
) -> Coverage:
    """Enrol `patient` in `plan` from `valid_from` to `valid_until` (inclusive; open
    when none). A dependant (any relationship but self) names the policyholder, the
    `subscriber`, as the payer knows them. Requires MANAGE_INVOICES.

    One member number of one payer names one policyholder: the patient's first self
    coverage with the number holds it, their renewals share it, and the database keeps
    one holder per payer and number.

    Locks the patient's row, so two clerks entering the same card at once make one
    coverage. Refuses, saving nothing: a merged-away or entered-in-error patient
    (PATIENT_NOT_BILLABLE), a patient or plan of another facility, an inactive plan, a
    blank member ID, dates that run backwards (InvalidInput naming the field); an
    active coverage of the same plan whose dates overlap (Conflict DUPLICATE_COVERAGE);
    a member number another patient holds at this payer, as policyholder, even when a
    clerk for that patient commits first in a race (Conflict MEMBER_ID_TAKEN naming
    `member_id` and the holder's MRN).
    """
    policies.check_manage_invoices(actor, patient.facility)
    _check_patient(patient, plan)
    member_id = _member_id(member_id)
    valid_from = a_date(valid_from, field="valid_from")
    if valid_until is not None:
        valid_until = a_date(valid_until, field="valid_until")
        if valid_until < valid_from:
            raise InvalidInput(
                "The coverage must end on or after it starts.",
                code=BillingErrorCode.INVALID_DATE,
                field="valid_until",
            )
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 9:
        raise InvalidInput("Give a priority from 1 (pays first) to 9.", field="priority")
    if relationship not in Coverage.Relationship.values:
        raise InvalidInput("Not a known relationship.", field="relationship")
    subscriber = _subscriber(subscriber, relationship)
    user = author(actor)
    index = member_id_index(member_id)
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        _check_no_overlap(patient, plan, valid_from, valid_until)
        holds = relationship == Coverage.Relationship.SELF and not _check_holder(
            patient, plan.payer, index
        )
        coverage = Coverage(
            facility_id=patient.facility_id,
            patient=patient,
            plan=plan,
            payer=plan.payer,
            member_id=member_id,
            member_id_index=index,
            holds_member_id=holds,
            relationship=relationship,
            valid_from=valid_from,
            valid_until=valid_until,
            priority=priority,
            subscriber_family_name=subscriber.family_name,
            subscriber_given_name=subscriber.given_name,
            subscriber_birth_date=subscriber.birth_date,
            created_by=user,
            updated_by=user,
        )
        try:
            with transaction.atomic():
                coverage.save(force_insert=True)
        except IntegrityError:
            # Another patient's clerk took the number between the check and the insert.
            _check_holder(patient, plan.payer, index)
            raise
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=coverage,
            patient_id=str(patient.external_id),
            reason=f"Coverage by {plan.code} from {valid_from} to {valid_until or 'open'}",
        )
    return coverage


@dataclass(frozen=True)
class Subscriber:
    """The policyholder a dependant is covered through."""

    family_name: str = ""
    given_name: str = ""
    birth_date: dt.date | None = None


def _subscriber(subscriber: Subscriber | None, relationship: str) -> Subscriber:
    if relationship == Coverage.Relationship.SELF:
        return Subscriber()
    if subscriber is None:
        raise InvalidInput("Name the policyholder of a dependant's cover.", field="subscriber")
    family = reason_text(subscriber.family_name, "subscriber.family_name", required=True, limit=100)
    given = reason_text(subscriber.given_name, "subscriber.given_name", required=True, limit=100)
    born = subscriber.birth_date
    if born is not None:
        born = a_date(born, field="subscriber.birth_date")
        if born > timezone.localdate():
            raise InvalidInput("The birth date is in the future.", field="subscriber.birth_date")
    return Subscriber(family, given, born)


def _check_patient(patient: Patient, plan: Plan) -> None:
    if not patient.is_active:
        raise InvalidInput(
            "This record was merged or entered in error; cover the surviving record.",
            code=BillingErrorCode.PATIENT_NOT_BILLABLE,
            field="patient",
        )
    if plan.payer.facility_id != patient.facility_id:
        raise InvalidInput(
            "That plan belongs to another facility.",
            code=BillingErrorCode.WRONG_FACILITY,
            field="plan",
        )
    if not (plan.is_active and plan.payer.is_active):
        raise InvalidInput("That plan is no longer offered.", field="plan")


def _member_id(value: object) -> str:
    member_id = reason_text(value, "member_id", limit=64)
    if not any(c.isalnum() for c in member_id):
        raise InvalidInput(
            "Give the member ID on the card.",
            code=InsuranceErrorCode.INVALID_MEMBER_ID,
            field="member_id",
        )
    return member_id


def _check_no_overlap(patient, plan, valid_from, valid_until) -> None:
    overlapping = Coverage.objects.filter(
        patient=patient, plan=plan, status=Coverage.Status.ACTIVE
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
    if valid_until is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_until)
    if overlapping.exists():
        raise Conflict(
            "The patient already has an active coverage of this plan for those dates.",
            code=InsuranceErrorCode.DUPLICATE_COVERAGE,
            field="plan",
        )


def _check_holder(patient: Patient, payer: Payer, index: str) -> bool:
    """Whether `patient` holds the member number `index` of `payer` already; Conflict
    (MEMBER_ID_TAKEN) when another patient does."""
    holder = (
        Coverage.objects.filter(
            payer=payer,
            member_id_index=index,
            holds_member_id=True,
            relationship=Coverage.Relationship.SELF,
            status=Coverage.Status.ACTIVE,
        )
        .select_related("patient")
        .first()
    )
    if holder is not None and holder.patient_id != patient.pk:
        raise Conflict(
            f"{payer.code} has this member number on the cover of MRN {holder.patient.mrn}, "
            "the policyholder; cover a dependant with their relationship to them.",
            code=InsuranceErrorCode.MEMBER_ID_TAKEN,
            field="member_id",
        )
    return holder is not None


def _hand_over(cancelled: Coverage) -> None:
    """Pass the member number a cancelled coverage held to the patient's next active
    self coverage with it, if any, so their renewal keeps the number theirs."""
    successor = (
        Coverage.objects.filter(
            patient_id=cancelled.patient_id,
            payer_id=cancelled.payer_id,
            member_id_index=cancelled.member_id_index,
            relationship=Coverage.Relationship.SELF,
            status=Coverage.Status.ACTIVE,
        )
        .order_by("created_at", "pk")
        .first()
    )
    if successor is not None:
        successor.holds_member_id = True
        successor.save(update_fields=["holds_member_id", "updated_at"])


def cancel_coverage(*, actor: Any, coverage: Coverage, reason: str) -> Coverage:
    """Cancel a coverage (entered by mistake, or the member left the plan), with a
    reason. Requires MANAGE_INVOICES. Conflict (COVERAGE_NOT_ACTIVE) when it is
    cancelled already. Invoices finalised under it keep their split."""
    policies.check_manage_invoices(actor, coverage.facility)
    reason = reason_text(reason, "reason", required=True, limit=500)
    with transaction.atomic():
        # The patient's row first, as add_coverage takes it: a renewal added meanwhile
        # is then seen by the hand-over.
        Patient.objects.select_for_update().filter(pk=coverage.patient_id).first()
        locked = Coverage.objects.select_for_update().get(pk=coverage.pk)
        _check_active(locked)
        held = locked.holds_member_id
        locked.status, locked.updated_by = Coverage.Status.CANCELLED, author(actor)
        locked.holds_member_id = False
        locked.save(update_fields=["status", "holds_member_id", "updated_by", "updated_at"])
        if held:
            _hand_over(locked)
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.patient.external_id),
            reason=f"Cancelled: {reason}",
        )
    return locked


def _check_active(coverage: Coverage) -> None:
    if coverage.status != Coverage.Status.ACTIVE:
        raise Conflict(
            "That coverage is cancelled.",
            code=InsuranceErrorCode.COVERAGE_NOT_ACTIVE,
            field="coverage",
        )


def record_eligibility(
    *, actor: Any, coverage: Coverage, outcome: str, note: str, checked_at: dt.datetime
) -> EligibilityCheck:
    """Record what the payer answered when asked (by phone, portal) whether `coverage`
    is in force. Requires MANAGE_INVOICES. InvalidInput naming the field for an unknown
    outcome, a naive or future time, or a bad note."""
    policies.check_manage_invoices(actor, coverage.facility)
    if outcome not in EligibilityCheck.Outcome.values:
        raise InvalidInput("Not a known outcome.", field="outcome")
    note = reason_text(note, "note", limit=500)
    checked_at = _moment(checked_at, "checked_at")
    user = author(actor)
    with transaction.atomic():
        check = EligibilityCheck.objects.create(
            coverage=coverage,
            outcome=outcome,
            note=note,
            checked_at=checked_at,
            created_by=user,
            updated_by=user,
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=check,
            patient_id=str(coverage.patient.external_id),
            reason=f"Eligibility of coverage {coverage.external_id}: {outcome}",
        )
    return check


def _moment(value: object, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise InvalidInput("Give a time with its time zone.", field=field)
    if value > timezone.now() + dt.timedelta(minutes=5):
        raise InvalidInput("That time is in the future.", field=field)
    return value


def request_preauthorisation(
    *,
    actor: Any,
    coverage: Coverage,
    item: BillableItem,
    requested_amount: Decimal | str | int,
    note: str = "",
) -> PreAuthorisation:
    """Ask the payer to approve `item` for the member, up to `requested_amount`.
    Requires MANAGE_INVOICES. Conflict (COVERAGE_NOT_ACTIVE) for a cancelled coverage;
    InvalidInput naming the field for an item of another facility or an amount not
    above zero."""
    policies.check_manage_invoices(actor, coverage.facility)
    _check_active(coverage)
    _same_facility(coverage.facility_id, item, "item")
    amount = amount_in(requested_amount, field="requested_amount")
    if amount <= 0:
        raise InvalidInput(
            "Request more than zero.",
            code=BillingErrorCode.INVALID_AMOUNT,
            field="requested_amount",
        )
    note = reason_text(note, "note", limit=500)
    user = author(actor)
    with transaction.atomic():
        preauth = PreAuthorisation.objects.create(
            coverage=coverage,
            item=item,
            requested_amount=amount,
            note=note,
            requested_at=timezone.now(),
            created_by=user,
            updated_by=user,
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=preauth,
            patient_id=str(coverage.patient.external_id),
            reason=f"Pre-authorisation of {item.code} for {amount} requested",
        )
    return preauth


def decide_preauthorisation(  # noqa: PLR0913 - the payer's answer, all by keyword
    *,
    actor: Any,
    preauthorisation: PreAuthorisation,
    approved: bool,
    approved_amount: Decimal | str | int | None = None,
    expires_on: dt.date | None = None,
    reference: str = "",
    note: str = "",
) -> PreAuthorisation:
    """Record the payer's answer to a requested pre-authorisation: approved for
    `approved_amount` (at most what was requested) until `expires_on` (today or later),
    or denied. Requires MANAGE_INVOICES. Locks the row; Conflict (PREAUTH_NOT_PENDING)
    when it was decided already; InvalidInput naming the field otherwise."""
    policies.check_manage_invoices(actor, preauthorisation.coverage.facility)
    if not isinstance(approved, bool):
        raise InvalidInput("Say whether it was approved.", field="approved")
    reference = reason_text(reference, "reference", limit=64)
    note = reason_text(note, "note", limit=500)
    with transaction.atomic():
        locked = PreAuthorisation.objects.select_for_update().get(pk=preauthorisation.pk)
        if locked.status != PreAuthorisation.Status.REQUESTED:
            raise Conflict(
                f"That pre-authorisation is {locked.status} already.",
                code=InsuranceErrorCode.PREAUTH_NOT_PENDING,
                field="preauthorisation",
            )
        if approved:
            _approve(locked, approved_amount, expires_on)
        else:
            locked.status = PreAuthorisation.Status.DENIED
        locked.reference, locked.note = reference, note or locked.note
        locked.decided_at, locked.updated_by = timezone.now(), author(actor)
        locked.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=locked,
            patient_id=str(locked.coverage.patient.external_id),
            reason=f"Pre-authorisation {locked.status}: {locked.approved_amount or ''}",
        )
    return locked


def _approve(preauth: PreAuthorisation, amount, expires_on) -> None:
    if amount is None:
        raise InvalidInput("Give the approved amount.", field="approved_amount")
    amount = amount_in(amount, field="approved_amount", maximum=preauth.requested_amount)
    if amount <= 0:
        raise InvalidInput("Approve more than zero, or deny it.", field="approved_amount")
    if expires_on is None:
        raise InvalidInput("Give the last day the approval may be used.", field="expires_on")
    expires_on = a_date(expires_on, field="expires_on")
    if expires_on < timezone.localdate():
        raise InvalidInput(
            "The approval would have expired already.",
            code=BillingErrorCode.INVALID_DATE,
            field="expires_on",
        )
    preauth.status = PreAuthorisation.Status.APPROVED
    preauth.approved_amount, preauth.expires_on = amount, expires_on


def expire_preauthorisations(*, today: dt.date) -> int:
    """Mark approvals whose last day was before `today` expired; a daily task runs it.
    Returns how many expired. Idempotent."""
    return PreAuthorisation.objects.filter(
        status=PreAuthorisation.Status.APPROVED, expires_on__lt=today
    ).update(status=PreAuthorisation.Status.EXPIRED, updated_at=timezone.now())


# The coverage that pays first for a patient on a day: active, in its dates, of an
# active plan, the lowest priority number first. Raw SQL, as charge capture runs it
# inside its own tariff lookup (hms.billing.services.charges) on every charge.
COVERAGE_ON_SQL = """
    SELECT c.id, p.price_list_id
    FROM billing_coverage c JOIN billing_plan p ON p.id = c.plan_id
    WHERE c.patient_id = %(patient)s AND c.status = 'active' AND p.is_active
      AND c.valid_from <= %(day)s AND (c.valid_until IS NULL OR c.valid_until >= %(day)s)
    ORDER BY c.priority, c.valid_from DESC, c.id
    LIMIT 1
"""


def coverage_on(patient_id: int, day: dt.date) -> Coverage | None:
    """The coverage that pays first for the patient on `day` (COVERAGE_ON_SQL)."""
    found = fetch_prepared(COVERAGE_ON_SQL, {"patient": patient_id, "day": day})
    if not found:
        return None
    return Coverage.objects.select_related("plan").get(pk=found[0][0])


def split_invoice(invoice: Invoice, when: dt.datetime) -> None:
    """Set the payer's and the patient's portions of an invoice being finalised (locked
    by the caller) from the coverage in force on its day in the facility's time zone;
    none when the patient has no coverage then. The deductible already met is what the
    coverage's other final invoices of that calendar year applied."""
    zone = zoneinfo.ZoneInfo(invoice.facility.timezone)
    day = timezone.localtime(when, zone).date()
    coverage = coverage_on(invoice.patient_id, day)
    if coverage is None:
        return
    # The facility's year, not the server's: New Year's Eve in Nairobi is 21:00 UTC.
    year_start = dt.datetime(day.year, 1, 1, tzinfo=zone)
    met = Invoice.objects.filter(
        coverage=coverage,
        finalised_at__gte=year_start,
        finalised_at__lt=year_start.replace(year=day.year + 1),
        status__in=["final", "paid"],
    ).aggregate(met=Sum("deductible_applied"))["met"] or Decimal(0)
    lines = invoice.lines.values_list("line_total", flat=True)
    portions = split(lines, coverage, currency=invoice.currency, deductible_met=met)
    invoice.coverage = coverage
    invoice.payer_amount, invoice.patient_amount = portions.payer, portions.patient
    invoice.deductible_applied = portions.deductible_applied
