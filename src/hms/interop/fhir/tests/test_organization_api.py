"""GET /fhir/R4/Organization (search) and /fhir/R4/Organization/<id> (read)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.organization import Organization
from rest_framework.test import APIClient

from hms.accounts import services
from hms.audit.models import AuditEvent
from hms.core.models import Department
from hms.interop.fhir.tests.helpers import FHIR_JSON, bearer_client, operation_outcome

SEARCH = "/fhir/R4/Organization"


def _bundle(response) -> Bundle:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR_JSON
    bundle = Bundle.model_validate(json.loads(response.content))
    assert bundle.type == "searchset"
    assert bundle.total == len(bundle.entry or [])
    return bundle


def _ids(bundle: Bundle) -> list[str]:
    return [entry.resource.id for entry in bundle.entry or []]


@pytest.fixture
def opd(facility) -> Department:
    return facility.departments.get(code="OPD")


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


@pytest.mark.django_db
def test_search_returns_the_users_facility_and_its_departments(
    clerk, facility, opd, other_facility_with_ward
):
    # when
    bundle = _bundle(clerk.get(SEARCH))

    # then
    assert _ids(bundle) == [str(facility.external_id), str(opd.external_id)]
    hospital, department = (entry.resource for entry in bundle.entry)
    assert (hospital.name, hospital.identifier[0].value, hospital.partOf) == (
        "Riverside General",
        "RGH",
        None,
    )
    assert department.partOf.reference == f"Organization/{facility.external_id}"
    assert department.type[0].coding[0].code == "dept"
    assert bundle.entry[1].fullUrl == f"http://testserver/fhir/R4/Organization/{opd.external_id}"
    assert {entry.search.mode for entry in bundle.entry} == {"match"}
    assert bundle.link[0].relation == "self"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Riverside", ["facility"]),
        ("river", ["facility"]),
        ("RIVERSIDE GEN", ["facility"]),
        ("out", ["opd"]),
        ("side", []),
        ("Hillside", []),
    ],
)
@pytest.mark.django_db
def test_search_by_name_prefix(clerk, facility, opd, other_facility_with_ward, name, expected):
    # given
    known = {"facility": str(facility.external_id), "opd": str(opd.external_id)}

    # when
    bundle = _bundle(clerk.get(SEARCH, {"name": name}))

    # then
    assert _ids(bundle) == [known[key] for key in expected]


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("urn:hms:facility-code|RGH", ["facility"]),
        ("RGH", ["facility"]),
        ("urn:hms:department-code|OPD", ["opd"]),
        ("OPD", ["opd"]),
        ("urn:hms:department-code|RGH", []),
        ("urn:hms:facility-code|HSC", []),
        ("urn:hms:department-code|WARD1", []),
        ("urn:hms:department-code|", ["opd"]),
        ("urn:hms:facility-code|", ["facility"]),
        # "|value" means an identifier with no system (FHIR R4 token search); ours all have one
        ("|RGH", []),
    ],
)
@pytest.mark.django_db
def test_search_by_identifier(clerk, facility, opd, other_facility_with_ward, identifier, expected):
    # given
    known = {"facility": str(facility.external_id), "opd": str(opd.external_id)}

    # when
    bundle = _bundle(clerk.get(SEARCH, {"identifier": identifier}))

    # then
    assert _ids(bundle) == [known[key] for key in expected]


@pytest.mark.django_db
def test_search_by_id(clerk, opd, other_facility_with_ward):
    # when
    found = _bundle(clerk.get(SEARCH, {"_id": str(opd.external_id)}))
    hidden = _bundle(clerk.get(SEARCH, {"_id": str(other_facility_with_ward.external_id)}))

    # then
    assert _ids(found) == [str(opd.external_id)]
    assert _ids(hidden) == []


@pytest.mark.django_db
def test_read_facility_by_id(clerk, facility):
    # when
    response = clerk.get(f"{SEARCH}/{facility.external_id}")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    organization = Organization.model_validate(json.loads(response.content))
    assert (organization.id, organization.name) == (str(facility.external_id), facility.name)
    assert organization.identifier[0].system == "urn:hms:facility-code"


@pytest.mark.django_db
def test_read_department_by_id(clerk, facility, opd):
    # when
    response = clerk.get(f"{SEARCH}/{opd.external_id}")

    # then
    organization = Organization.model_validate(json.loads(response.content))
    assert (organization.id, organization.name) == (str(opd.external_id), "Outpatients")
    assert organization.partOf.reference == f"Organization/{facility.external_id}"


@pytest.mark.parametrize(
    "unknown",
    [
        "00000000-0000-4000-8000-000000000000",
        # valid FHIR ids that are not one of our UUIDs
        "12345",
        "rgh.main",
        "0B6F3C1E-5A43-4C1B-9D2E-7F7D9C1A2B01",
    ],
)
@pytest.mark.django_db
def test_read_unknown_id_is_a_404_operation_outcome(clerk, unknown):
    # when
    response = clerk.get(f"{SEARCH}/{unknown}")

    # then
    assert response.status_code == 404
    issue = operation_outcome(response).issue[0]
    assert (issue.severity, issue.code) == ("error", "not-found")
    assert issue.diagnostics == f"Organization/{unknown} is not known here."


@pytest.mark.django_db
def test_facility_where_the_user_holds_no_role_is_never_returned(clerk, other_facility_with_ward):
    # given
    ward = other_facility_with_ward.departments.get()
    hidden = {str(other_facility_with_ward.external_id), str(ward.external_id)}

    # when
    searched = _bundle(clerk.get(SEARCH))
    read_facility = clerk.get(f"{SEARCH}/{other_facility_with_ward.external_id}")
    read_ward = clerk.get(f"{SEARCH}/{ward.external_id}")

    # then: not found rather than forbidden, so its existence is not given away
    assert hidden.isdisjoint(_ids(searched))
    assert (read_facility.status_code, read_ward.status_code) == (404, 404)
    assert operation_outcome(read_facility).issue[0].code == "not-found"


@pytest.mark.django_db
def test_staff_in_two_facilities_see_both(make_user, facility, opd, other_facility_with_ward):
    # given
    user = make_user("receptionist")
    services.assign_roles(
        actor=None,
        user=user,
        facility=other_facility_with_ward,
        roles=["nurse"],
        skip_permission_checks=True,
    )
    ward = other_facility_with_ward.departments.get()

    # when
    bundle = _bundle(bearer_client(user).get(SEARCH))

    # then
    assert set(_ids(bundle)) == {
        str(facility.external_id),
        str(opd.external_id),
        str(other_facility_with_ward.external_id),
        str(ward.external_id),
    }


@pytest.mark.django_db
def test_facility_where_the_user_is_only_a_patient_is_not_returned(
    make_user, facility, opd, other_facility_with_ward
):
    # given
    user = make_user("receptionist")
    services.assign_roles(
        actor=None,
        user=user,
        facility=other_facility_with_ward,
        roles=["patient"],
        skip_permission_checks=True,
    )
    client = bearer_client(user)

    # when: acting in Riverside (a facility is chosen by header; the first by name is Hillside)
    bundle = _bundle(client.get(SEARCH, HTTP_X_HMS_FACILITY="RGH"))

    # then
    assert _ids(bundle) == [str(facility.external_id), str(opd.external_id)]


@pytest.mark.parametrize("path", [SEARCH, f"{SEARCH}/00000000-0000-4000-8000-000000000000"])
@pytest.mark.django_db
def test_no_token_is_a_401_operation_outcome(path):
    # when
    response = APIClient().get(path)

    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="hms"'
    issue = operation_outcome(response).issue[0]
    assert (issue.severity, issue.code) == ("error", "login")
    assert AuditEvent.objects.filter(outcome="denied", object_type=f"api:{path}").count() == 1


@pytest.mark.django_db
def test_unknown_token_is_a_401_and_a_failed_login_row():
    # given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer hms_not-a-real-token")

    # when
    response = client.get(SEARCH)

    # then
    assert response.status_code == 401
    assert operation_outcome(response).issue[0].code == "login"
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.reason) == (
        "login_failed",
        "denied",
        "unknown API token",
    )
    assert event.channel == "api"


@pytest.mark.parametrize("path", [SEARCH, f"{SEARCH}/00000000-0000-4000-8000-000000000000"])
@pytest.mark.django_db
def test_patient_token_is_a_403_operation_outcome_and_audited(api_client_for, path):
    # given
    patient = api_client_for("patient")
    before = AuditEvent.objects.count()

    # when
    response = patient.get(path)

    # then
    assert response.status_code == 403
    issue = operation_outcome(response).issue[0]
    assert (issue.severity, issue.code) == ("error", "forbidden")
    assert issue.diagnostics == "Your role does not allow this (needs core.view_facility)."
    assert AuditEvent.objects.count() == before + 1
    refusal = AuditEvent.objects.order_by("-id").first()
    assert (refusal.actor_id, refusal.outcome, refusal.roles) == (
        patient.user.pk,
        "denied",
        "patient",
    )
    assert refusal.object_type == f"api:{path}"


@pytest.mark.django_db
def test_search_query_count_does_not_grow_with_departments(clerk, facility):
    # given
    clerk.get(SEARCH)  # the token's first use is stamped once

    def queries_with(departments: int) -> int:
        for n in range(departments):
            Department.objects.get_or_create(
                facility=facility,
                code=f"D{n}",
                defaults={"name": f"Clinic {n}", "kind": Department.Kind.OUTPATIENT},
            )
        with CaptureQueriesContext(connection) as queries:
            bundle = _bundle(clerk.get(f"{SEARCH}?_count=100"))
        assert len(bundle.entry) == departments + 2
        return len(queries)

    # when / then
    assert queries_with(1) == queries_with(20)


@pytest.mark.django_db
def test_search_pages_as_every_search_does(clerk, facility):
    # given: the facility and 21 departments
    for n in range(20):
        Department.objects.create(
            facility=facility, code=f"D{n}", name=f"Clinic {n}", kind=Department.Kind.OUTPATIENT
        )

    # when
    first = Bundle.model_validate(json.loads(clerk.get(f"{SEARCH}?_count=10").content))
    last = Bundle.model_validate(json.loads(clerk.get(f"{SEARCH}?_count=10&_offset=20").content))

    # then
    assert len(first.entry) == 10
    assert [link.relation for link in first.link] == ["self", "next"]
    assert len(last.entry) == 2
    assert last.total == 22
