"""Fixtures for the front desk page tests: a signed-in clerk and registered patients."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from hms.patients.testing import registered

SEARCH = "/patients/"
REGISTER = "/patients/new/"
REGISTER_FULL = "/patients/new/full/"
UNKNOWN = "/patients/new/unknown/"
CHECK = "/patients/new/check/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(name: str, patient) -> str:
    return reverse(f"patients:{name}", kwargs={"external_id": patient.external_id})


def walk_in(**overrides) -> dict:
    """A valid walk-in registration; tests change one field at a time."""
    values = {
        "name": "Amina Wanjiru",
        "sex": "female",
        "birth": "12/04/1990",
        "phone": "0712345678",
    }
    values.update(overrides)
    return values


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


@pytest.fixture
def register(facility):
    """register(given_name=..., at=facility, ...) -> a Patient, through the service."""

    def make(*, at=None, **overrides):
        return registered(at or facility, **{"phone": "0722000111", **overrides})

    return make


def errors_of(html: str, field: str) -> list[str]:
    """The error messages shown in the box of the form field named `field`."""
    for block in html.split('<div class="field')[1:]:
        if f'name="{field}"' in block:
            return [
                unescape(m) for m in re.findall(r'<p class="error" role="alert">(.*?)</p>', block)
            ]
    return []


def autofocused(html: str) -> list[str]:
    """The ids of the fields that take the cursor when the page opens."""
    tags = re.findall(r"<(?:input|select|textarea)\b[^>]*\bautofocus\b[^>]*>", html)
    return [re.search(r'\bid="([^"]+)"', tag).group(1) for tag in tags]
