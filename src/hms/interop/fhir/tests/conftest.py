"""Fixtures for the FHIR tests."""

from __future__ import annotations

import pytest

from hms.core.models import Department
from hms.patients.testing import registered


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
        return registered(facility, **overrides)

    return make
