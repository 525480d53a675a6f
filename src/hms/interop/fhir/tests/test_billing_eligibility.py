"""/fhir/R4/CoverageEligibilityRequest and CoverageEligibilityResponse: eligibility
checks read and searched, and a CoverageEligibilityResponse posted to record one
through `record_eligibility`; bad bodies answer an OperationOutcome and save nothing."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse

from hms.audit.models import AuditEvent
from hms.billing.models import EligibilityCheck
from hms.billing.services import insurance
from hms.billing.tests import conftest as billing_fixtures
from hms.billing.tests.claim_helpers import START, payer_and_plan
from hms.interop.fhir.tests.billing_data import eligibility_checked, ids, read, reads_of
from hms.interop.fhir.tests.helpers import FHIR_JSON, bearer_client, operation_outcome
from hms.patients.testing import registered

# The billing tests' tariff, staff and patient, made through the billing services.
tariff, supervisor, clerk, patient = (
    billing_fixtures.tariff,
    billing_fixtures.supervisor,
    billing_fixtures.clerk,
    billing_fixtures.patient,
)

REQUESTS = "/fhir/R4/CoverageEligibilityRequest"
RESPONSES = "/fhir/R4/CoverageEligibilityResponse"
EXAMPLES = Path(__file__).resolve().parents[6] / "shared/testdata/fhir-r4-microsoft-fhir-server/R4"
MICROSOFT = EXAMPLES / "coverageeligibilityresponse-example.json"
MICROSOFT_REQUEST = EXAMPLES / "coverageeligibilityrequest-example.json"


@pytest.fixture
def payer_plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)


@pytest.fixture
def coverage(payer_plan, clerk, patient):
    return insurance.add_coverage(
        actor=clerk,
        patient=patient,
        plan=payer_plan[1],
        member_id="AAR-0012-3456",
        valid_from=START,
    )


@pytest.fixture
def reader(clerk):
    return bearer_client(clerk)


def _answer(coverage, **changes) -> dict:
    """A CoverageEligibilityResponse saying `coverage` is in force, answered an hour ago."""
    resource = {
        "resourceType": "CoverageEligibilityResponse",
        "status": "active",
        "purpose": ["validation"],
        "patient": {"reference": f"Patient/{coverage.patient.external_id}"},
        "created": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "request": {"reference": "CoverageEligibilityRequest/ignored"},
        "outcome": "complete",
        "disposition": "Member in good standing",
        "insurer": {"reference": f"Organization/{coverage.plan.payer.external_id}"},
        "insurance": [
            {"coverage": {"reference": f"Coverage/{coverage.external_id}"}, "inforce": True}
        ],
    }
    resource.update(changes)
    return resource


def _post(client, resource):
    payload = resource if isinstance(resource, str) else json.dumps(resource)
    return client.post(RESPONSES, payload, content_type=FHIR_JSON)


def _refused(response, status: int, expression: str | None = None):
    assert response.status_code == status, response.content
    outcome = operation_outcome(response)
    if expression is not None:
        assert outcome.issue[0].expression == [expression], outcome.issue[0]
    assert EligibilityCheck.objects.exists() is False
    return outcome


@pytest.mark.django_db
def test_a_check_reads_as_a_request_and_its_response(reader, coverage, clerk, patient):
    # given
    check = eligibility_checked(clerk, coverage, note="Confirmed by phone")

    # when
    asked = read(reader, f"{REQUESTS}/{check.external_id}")
    answered = read(reader, f"{RESPONSES}/{check.external_id}")

    # then
    request = CoverageEligibilityRequest.model_validate(asked)
    assert request.purpose == ["validation"]
    assert request.patient.reference == f"Patient/{patient.external_id}"
    assert request.insurance[0].coverage.reference == f"Coverage/{coverage.external_id}"
    assert request.insurer.reference == f"Organization/{coverage.plan.payer.external_id}"
    response = CoverageEligibilityResponse.model_validate(answered)
    assert response.request.reference == f"CoverageEligibilityRequest/{check.external_id}"
    assert response.outcome == "complete"
    assert response.disposition == "Confirmed by phone"
    assert answered["insurance"] == [
        {"coverage": {"reference": f"Coverage/{coverage.external_id}"}, "inforce": True}
    ]
    assert response.created == check.checked_at
    assert reads_of(patient, "FHIR read CoverageEligibilityRequest") == 1
    assert reads_of(patient, "FHIR read CoverageEligibilityResponse") == 1


@pytest.mark.django_db
def test_not_eligible_and_unconfirmed_checks(reader, coverage, clerk):
    # given
    refused = eligibility_checked(clerk, coverage, outcome="not_eligible")
    unknown = eligibility_checked(clerk, coverage, outcome="unknown")

    # when
    no = read(reader, f"{RESPONSES}/{refused.external_id}")
    maybe = read(reader, f"{RESPONSES}/{unknown.external_id}")

    # then
    assert (no["outcome"], no["insurance"][0]["inforce"]) == ("complete", False)
    assert maybe["outcome"] == "error"
    assert "inforce" not in maybe["insurance"][0]
    assert maybe["disposition"] == "Could not be confirmed"


@pytest.mark.django_db
def test_checks_are_searched_by_patient_and_created(
    reader, coverage, clerk, payer_plan, facility, patient
):
    # given: Baraka's coverage is checked too
    baraka = registered(facility, given_name="Baraka")
    theirs = insurance.add_coverage(
        actor=clerk, patient=baraka, plan=payer_plan[1], member_id="AAR-99", valid_from=START
    )
    mine = str(eligibility_checked(clerk, coverage).external_id)
    other = str(eligibility_checked(clerk, theirs).external_id)

    # when / then
    for base in (REQUESTS, RESPONSES):
        assert ids(read(reader, f"{base}?patient={patient.external_id}")) == [mine]
        assert ids(read(reader, f"{base}?patient=Patient/{baraka.external_id}")) == [other]
        assert sorted(ids(read(reader, f"{base}?created=ge2026-01-01"))) == sorted([mine, other])
        assert ids(read(reader, f"{base}?created=lt2026-01-01")) == []
        assert ids(read(reader, f"{base}?_id={mine}")) == [mine]


@pytest.mark.django_db
def test_a_posted_response_records_the_check(reader, coverage, clerk, patient):
    # given
    answer = _answer(coverage)

    # when
    response = _post(reader, answer)

    # then
    assert response.status_code == 201, response.content
    check = EligibilityCheck.objects.get()
    assert (check.coverage, check.outcome, check.note) == (
        coverage,
        "eligible",
        "Member in good standing",
    )
    assert check.checked_at == dt.datetime.fromisoformat(answer["created"])
    assert check.created_by == clerk
    created = CoverageEligibilityResponse.model_validate(json.loads(response.content))
    assert created.id == str(check.external_id)
    assert response["Location"] == f"http://testserver{RESPONSES}/{check.external_id}"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE,
        object_id=str(check.external_id),
        patient_id=str(patient.external_id),
    ).exists()


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({}, "eligible"),
        ({"insurance": "not in force"}, "not_eligible"),
        ({"insurance": "not said"}, "unknown"),
        ({"outcome": "error"}, "unknown"),
    ],
)
@pytest.mark.django_db
def test_what_the_payer_said_is_the_outcome_recorded(reader, coverage, changes, outcome):
    # given
    entry = {"coverage": {"reference": f"Coverage/{coverage.external_id}"}}
    if changes.get("insurance") == "not in force":
        changes = {"insurance": [{**entry, "inforce": False}]}
    elif changes.get("insurance") == "not said":
        changes = {"insurance": [entry]}

    # when
    response = _post(reader, _answer(coverage, **changes))

    # then
    assert response.status_code == 201, response.content
    assert EligibilityCheck.objects.get().outcome == outcome


def _future() -> str:
    return (timezone.now() + dt.timedelta(days=1)).isoformat()


R = "CoverageEligibilityResponse"


@pytest.mark.parametrize(
    ("payload", "status", "expression"),
    [
        ("{not json", 400, None),
        ("[]", 400, R),
        ({"resourceType": "Coverage"}, 400, f"{R}.resourceType"),
        ({"status": "nope"}, 400, f"{R}.status"),
        ({"status": "cancelled"}, 400, f"{R}.status"),
        ({"status": True}, 400, f"{R}.status"),
        ({"purpose": ["benefits"]}, 400, f"{R}.purpose"),
        ({"outcome": "queued"}, 400, f"{R}.outcome"),
        ({"created": "2026-03-01"}, 400, f"{R}.created"),
        ({"created": "2026-03-01T10:00:00"}, 400, f"{R}.created"),
        ({"created": "future"}, 400, f"{R}.created"),
        ({"disposition": "a\x00b"}, 400, f"{R}.disposition"),
        ({"disposition": "x" * 501}, 400, f"{R}.disposition"),
        ({"insurance": []}, 400, None),
        ({"insurance": "two"}, 400, f"{R}.insurance"),
        ({"insurance": [{"coverage": {"reference": "Patient/1"}}]}, 400, None),
        (
            {"insurance": [{"coverage": {"reference": "Coverage/<script>"}}]},
            400,
            f"{R}.insurance[0].coverage.reference",
        ),
        ({"insurance": "inforce as text"}, 400, f"{R}.insurance[0].inforce"),
        ({"patient": {"reference": "Group/1"}}, 400, f"{R}.patient.reference"),
    ],
)
@pytest.mark.django_db
def test_a_bad_body_answers_an_outcome_naming_the_element_and_saves_nothing(
    reader, coverage, payload, status, expression
):
    # given
    entry = {"coverage": {"reference": f"Coverage/{coverage.external_id}"}}
    if isinstance(payload, dict):
        payload = dict(payload)
        if payload.get("created") == "future":
            payload["created"] = _future()
        if payload.get("insurance") == "two":
            payload["insurance"] = [entry, entry]
        if payload.get("insurance") == "inforce as text":
            payload["insurance"] = [{**entry, "inforce": "yes"}]
        payload = _answer(coverage, **payload)

    # when
    response = _post(reader, payload)

    # then
    _refused(response, status, expression)


@pytest.mark.django_db
def test_a_coverage_not_known_here_is_unprocessable(
    reader, coverage, payer_plan, facility, patient, other_facility, make_user
):
    # given: another facility's coverage, and references that disagree with ours
    their_admin = make_user("admin", at=other_facility)
    their_payer = insurance.add_payer(
        actor=their_admin, facility=other_facility, code="AAR", name="AAR", kind="insurer"
    )
    their_plan = insurance.add_plan(actor=their_admin, payer=their_payer, code="G", name="G")
    theirs = insurance.add_coverage(
        actor=their_admin,
        patient=registered(other_facility),
        plan=their_plan,
        member_id="X1",
        valid_from=START,
    )
    elsewhere = {"coverage": {"reference": f"Coverage/{theirs.external_id}"}, "inforce": True}
    baraka = registered(facility, given_name="Baraka")

    # when / then
    _refused(
        _post(reader, _answer(coverage, insurance=[elsewhere])),
        422,
        f"{R}.insurance[0].coverage.reference",
    )
    _refused(
        _post(reader, _answer(coverage, patient={"reference": f"Patient/{baraka.external_id}"})),
        422,
        f"{R}.patient.reference",
    )
    _refused(
        _post(
            reader, _answer(coverage, insurer={"reference": f"Organization/{facility.external_id}"})
        ),
        422,
        f"{R}.insurer.reference",
    )


@pytest.mark.parametrize("role", ["doctor", "auditor"])
@pytest.mark.django_db
def test_a_role_without_billing_may_not_record_a_check(api_client_for, coverage, role):
    # when
    response = _post(api_client_for(role), _answer(coverage))

    # then
    _refused(response, 403)


@pytest.mark.skipif(not MICROSOFT.is_file(), reason=f"the shared example is absent ({MICROSOFT})")
@pytest.mark.django_db
def test_the_published_example_records_a_check_once_it_names_our_coverage(reader, coverage):
    # given: HL7's example answer (via Microsoft's FHIR server fixtures), which names a
    # coverage, patient and insurer of another server and answers on a day only
    example = json.loads(MICROSOFT.read_text(encoding="utf-8"))
    ours = copy.deepcopy(example)
    ours["patient"] = {"reference": f"Patient/{coverage.patient.external_id}"}
    ours["insurer"] = {"reference": f"Organization/{coverage.plan.payer.external_id}"}
    ours["insurance"][0]["coverage"] = {"reference": f"Coverage/{coverage.external_id}"}
    ours["created"] = (timezone.now() - dt.timedelta(minutes=5)).isoformat()

    # when
    as_published = _post(reader, example)
    adapted = _post(reader, ours)

    # then: as published it is refused, naming what this server cannot take
    assert as_published.status_code == 400
    issues = [i.expression[0] for i in operation_outcome(as_published).issue]
    assert issues == [f"{R}.created"]
    assert adapted.status_code == 201, adapted.content
    check = EligibilityCheck.objects.get()
    assert (check.outcome, check.note) == ("eligible", "Policy is currently in-force.")


@pytest.mark.skipif(
    not MICROSOFT_REQUEST.is_file(), reason=f"the shared example is absent ({MICROSOFT_REQUEST})"
)
@pytest.mark.django_db
def test_a_published_request_is_not_a_recorded_answer(reader, coverage):
    # given: HL7's example question; a check is recorded from the payer's answer
    example = json.loads(MICROSOFT_REQUEST.read_text(encoding="utf-8"))

    # when
    to_responses = _post(reader, example)
    to_requests = reader.post(REQUESTS, json.dumps(example), content_type=FHIR_JSON)

    # then
    _refused(to_responses, 400, f"{R}.resourceType")
    _refused(to_requests, 405)
