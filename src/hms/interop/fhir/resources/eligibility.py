"""Eligibility checks as FHIR R4 CoverageEligibilityRequest and
CoverageEligibilityResponse (read and search), and a CoverageEligibilityResponse
received as the record of a check (`hms.billing.services.insurance.record_eligibility`).

Choices worth knowing:
- A check is a question and its answer: the Request and the Response share its id,
  and the Response's `request` is the Request. Both are `active`, for the purpose
  `validation` (is the coverage in force), about the one coverage checked.
- Eligible and not eligible are a `complete` answer with `insurance.inforce` true or
  false; a check that could not be confirmed is outcome `error` without `inforce`.
  The note is the `disposition`.
- A Response sent to record a check names one coverage of this facility in
  `insurance[0].coverage` (and, if it names them, that coverage's patient and payer);
  `created` is when the payer answered, a time with its zone, not in the future.
  `inforce` true or false records eligible or not; outcome `error`, or no
  `inforce`, records that it could not be confirmed; a `queued` answer is no answer
  yet. A reference this server cannot resolve in the viewer's facility is a 422
  naming the element, as for Appointment.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse

from hms.billing.models import Coverage, EligibilityCheck
from hms.interop.fhir.resources import billing_common as common
from hms.interop.fhir.resources import searching
from hms.interop.fhir.resources.appointment import Unprocessable
from hms.interop.fhir.validation import InvalidResource

RESPONSE = "CoverageEligibilityResponse"
SEARCH_PARAMS = (
    ("_id", "token"),
    ("patient", "reference"),
    ("created", "date"),
)
_INFORCE = {
    EligibilityCheck.Outcome.ELIGIBLE: True,
    EligibilityCheck.Outcome.NOT_ELIGIBLE: False,
}


def request_to_fhir(check: EligibilityCheck, zone: zoneinfo.ZoneInfo) -> CoverageEligibilityRequest:
    """The question a check asked as a validated R4 CoverageEligibilityRequest;
    `checks` loads what it reads."""
    coverage = check.coverage
    return CoverageEligibilityRequest(
        id=str(check.external_id),
        meta={"lastUpdated": check.updated_at},
        status="active",
        purpose=["validation"],
        patient=common.patient_reference(coverage.patient),
        created=timezone.localtime(check.checked_at, zone),
        provider=common.facility_reference(coverage.facility),
        insurer=common.payer_reference(coverage.plan.payer),
        insurance=[{"focal": True, "coverage": _coverage_reference(coverage)}],
    )


def response_to_fhir(
    check: EligibilityCheck, zone: zoneinfo.ZoneInfo
) -> CoverageEligibilityResponse:
    """The payer's answer a check recorded as a validated R4
    CoverageEligibilityResponse; `checks` loads what it reads."""
    coverage = check.coverage
    inforce = _INFORCE.get(check.outcome)
    return CoverageEligibilityResponse(
        id=str(check.external_id),
        meta={"lastUpdated": check.updated_at},
        status="active",
        purpose=["validation"],
        patient=common.patient_reference(coverage.patient),
        created=timezone.localtime(check.checked_at, zone),
        request={"reference": f"CoverageEligibilityRequest/{check.external_id}"},
        outcome="error" if inforce is None else "complete",
        disposition=check.note or check.get_outcome_display(),
        insurer=common.payer_reference(coverage.plan.payer),
        insurance=[{"coverage": _coverage_reference(coverage), "inforce": inforce}],
    )


def _coverage_reference(coverage: Coverage) -> dict[str, str]:
    return {"reference": f"Coverage/{coverage.external_id}"}


# --- reading -----------------------------------------------------------------------------


def checks(viewer: Any, facility) -> QuerySet[EligibilityCheck]:
    """The facility's eligibility checks for a viewer who sees its billing."""
    if not common.sees_billing(viewer, facility):
        return EligibilityCheck.objects.none()
    return EligibilityCheck.objects.filter(coverage__facility=facility).select_related(
        "coverage__patient", "coverage__facility", "coverage__plan__payer"
    )


def search(
    qs: QuerySet[EligibilityCheck], params, resource_type: str, zone: zoneinfo.ZoneInfo
) -> QuerySet[EligibilityCheck]:
    qs = common.filter_ids(qs, params, resource_type)
    qs = common.filter_patients(qs, params, ("patient",), "coverage__patient__external_id")
    qs = searching.filter_dates(
        qs,
        params,
        "created",
        zone,
        lambda prefix, low, high: searching.instant_condition(prefix, low, high, "checked_at"),
    )
    return qs.order_by("checked_at", "pk")


# --- writing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityAnswer:
    """What a received CoverageEligibilityResponse says of one coverage."""

    coverage: uuid.UUID
    patient: uuid.UUID | None
    insurer: uuid.UUID | None
    outcome: str
    note: str
    checked_at: dt.datetime

    @staticmethod
    def path_of(field: str | None) -> str:
        """The element a service's refusal of `field` is about."""
        return {
            "outcome": f"{RESPONSE}.insurance[0].inforce",
            "note": f"{RESPONSE}.disposition",
            "checked_at": f"{RESPONSE}.created",
            "coverage": f"{RESPONSE}.insurance[0].coverage",
        }.get(field or "", RESPONSE)


def from_fhir(resource: CoverageEligibilityResponse) -> EligibilityAnswer:
    """The check a validated CoverageEligibilityResponse records; InvalidResource
    naming the element for one this server cannot read as a check."""
    issues = []
    if resource.status != "active":
        issues.append((f"{RESPONSE}.status", "Record an answer in force: status 'active'."))
    if "validation" not in (resource.purpose or []):
        issues.append((f"{RESPONSE}.purpose", "Include 'validation': whether it is in force."))
    if resource.outcome == "queued":
        issues.append((f"{RESPONSE}.outcome", "A queued answer is no answer yet."))
    if not isinstance(resource.created, dt.datetime):
        issues.append((f"{RESPONSE}.created", "Give the time the payer answered, with its zone."))
    insurance = resource.insurance or []
    if len(insurance) != 1:
        issues.append((f"{RESPONSE}.insurance", "Name the one Coverage checked."))
    if issues:
        raise InvalidResource(issues)
    entry = insurance[0]
    inforce = None if resource.outcome == "error" else entry.inforce
    outcome = {True: "eligible", False: "not_eligible", None: "unknown"}[inforce]
    return EligibilityAnswer(
        coverage=_id(
            entry.coverage.reference if entry.coverage else None,
            "Coverage",
            f"{RESPONSE}.insurance[0].coverage",
        ),
        patient=_optional_id(resource.patient, "Patient", f"{RESPONSE}.patient"),
        insurer=_optional_id(resource.insurer, "Organization", f"{RESPONSE}.insurer"),
        outcome=outcome,
        note=resource.disposition or "",
        checked_at=resource.created,
    )


def _id(text: str | None, resource_type: str, where: str) -> uuid.UUID:
    try:
        return searching.uuid_id(text or "", resource_type, where)
    except InvalidResource as exc:
        raise InvalidResource(
            [(f"{where}.reference", f"Refer to a {resource_type} of this server.")]
        ) from exc


def _optional_id(reference, resource_type: str, where: str) -> uuid.UUID | None:
    if reference is None or reference.reference is None:
        return None
    return _id(reference.reference, resource_type, where)


def coverage_for(answer: EligibilityAnswer, facility) -> Coverage:
    """The facility's coverage the answer names, agreeing with the patient and payer
    it names; Unprocessable (422) naming the element otherwise."""
    coverage = (
        Coverage.objects.filter(facility=facility, external_id=answer.coverage)
        .select_related("patient", "plan__payer", "facility")
        .first()
    )
    where = f"{RESPONSE}.insurance[0].coverage.reference"
    if coverage is None:
        raise Unprocessable([(where, f"Coverage/{answer.coverage} is not known here.")])
    issues = []
    if answer.patient is not None and answer.patient != coverage.patient.external_id:
        issues.append((f"{RESPONSE}.patient.reference", "Must be the coverage's patient."))
    if answer.insurer is not None and answer.insurer != coverage.plan.payer.external_id:
        issues.append((f"{RESPONSE}.insurer.reference", "Must be the coverage's payer."))
    if issues:
        raise Unprocessable(issues)
    return coverage
