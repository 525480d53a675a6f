"""Fixtures for the FHIR tests."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.core.models import Department
from hms.patients import services
from hms.patients.inputs import IdentifierInput, PatientInput


@pytest.fixture
def other_facility_with_ward(other_facility):
    """A second facility, with a ward, where the test users hold no role."""
    Department.objects.create(
        facility=other_facility, code="WARD1", name="Hillside Ward", kind=Department.Kind.WARD
    )
    return other_facility


@pytest.fixture
def register(facility):
    """register(given_name=..., ...) -> a Patient registered through the service."""

    def make(**overrides):
        values = {
            "given_name": "Juma",
            "family_name": "Otieno",
            "sex": "male",
            "birth_date": dt.date(1985, 1, 20),
        }
        values.update(overrides)
        values["identifiers"] = tuple(
            IdentifierInput(**i) if isinstance(i, dict) else i
            for i in values.get("identifiers", ())
        )
        return services.register_patient(
            actor=None,
            facility=facility,
            data=PatientInput(**values),
            skip_permission_checks=True,
            check_duplicates=False,
        )

    return make
