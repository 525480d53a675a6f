"""Facility and Department to FHIR Organization, against golden files (no database)."""

import uuid

from fhir.resources.R4B.organization import Organization

from hms.core.models import Department, Facility
from hms.interop.fhir.resources.organization import department_to_fhir, facility_to_fhir
from hms.interop.fhir.tests.helpers import golden

FACILITY_ID = uuid.UUID("0b6f3c1e-5a43-4c1b-9d2e-7f7d9c1a2b01")
DEPARTMENT_ID = uuid.UUID("9a2d4e6f-1b3c-4d5e-8f70-112233445566")


def _facility() -> Facility:
    return Facility(
        external_id=FACILITY_ID,
        name="Riverside General",
        code="RGH",
        phone="+254 20 123 4567",
        address="Hospital Road 1, Nairobi",
    )


def test_facility_matches_the_golden_file():
    # when
    resource = facility_to_fhir(_facility())

    # then
    assert resource.model_dump(mode="json", exclude_none=True) == golden(
        "organization_facility.json"
    )


def test_facility_without_phone_or_address_leaves_them_out():
    # given
    facility = _facility()
    facility.phone = facility.address = ""

    # when
    body = facility_to_fhir(facility).model_dump(mode="json", exclude_none=True)

    # then
    assert "telecom" not in body
    assert "address" not in body


def test_department_matches_the_golden_file_and_is_part_of_its_facility():
    # given
    department = Department(
        external_id=DEPARTMENT_ID,
        facility=_facility(),
        name="Children's Ward",
        code="PAED",
        kind=Department.Kind.WARD,
        is_active=False,
    )

    # when
    resource = department_to_fhir(department)

    # then
    assert resource.model_dump(mode="json", exclude_none=True) == golden(
        "organization_department.json"
    )
    assert resource.partOf.reference == f"Organization/{FACILITY_ID}"


def test_golden_organizations_round_trip_through_the_model():
    for name in ["organization_facility.json", "organization_department.json"]:
        # given
        expected = golden(name)

        # when
        parsed = Organization.model_validate(expected)

        # then
        assert parsed.model_dump(mode="json", exclude_none=True) == expected
