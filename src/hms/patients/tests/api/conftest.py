"""Fixtures for the patient REST API tests: callers by role and registered patients."""

from __future__ import annotations

import pytest

from hms.patients.testing import registered

LIST = "/api/v1/patients/"


def detail_url(patient) -> str:
    return f"{LIST}{patient.external_id}/"


def body(**overrides) -> dict:
    """A valid registration body; tests change one field at a time."""
    values = {
        "given_name": "Amina",
        "family_name": "Wanjiru",
        "sex": "female",
        "birth_date": "1990-04-12",
        "phone": "0712345678",
        "email": "amina@example.org",
        "identifiers": [{"system": "national_id", "value": "12345678"}],
    }
    values.update(overrides)
    return values


@pytest.fixture
def clerk(api_client_for):
    return api_client_for("receptionist")


@pytest.fixture
def register(facility):
    """register(given_name=..., ...) -> a Patient registered through the service."""

    def make(**overrides):
        return registered(facility, **overrides)

    return make
