"""Fixtures shared by every app's tests: facilities, users by role, signed-in clients."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from hms.accounts import services
from hms.accounts.models import Role, User
from hms.accounts.permissions import sync_roles
from hms.accounts.testing import PASSWORD, verified_session
from hms.audit.testing import flush_past_the_audit_guards
from hms.core.models import Department, Facility


@pytest.fixture(scope="session", autouse=True)
def _audit_guards_let_flush_through():
    """Transactional tests (live server, threads) empty every table after each test."""
    with flush_past_the_audit_guards():
        yield


@pytest.fixture
def facility(db) -> Facility:
    facility = Facility.objects.create(
        name="Riverside General", code="RGH", timezone="Africa/Nairobi", currency="KES"
    )
    Department.objects.create(
        facility=facility,
        code="OPD",
        name="Outpatients",
        kind=Department.Kind.OUTPATIENT,
    )
    return facility


@pytest.fixture
def other_facility(db) -> Facility:
    return Facility.objects.create(name="Hillside Clinic", code="HSC")


@pytest.fixture
def make_user(facility):
    """make_user("doctor") -> a user holding that role (or roles) at `facility`."""
    counter = iter(range(1, 10_000))
    if not Role.objects.exists():
        # Transactional tests (live server, threads) flush the rows a migration wrote.
        sync_roles(Role)

    def make(
        *roles: str,
        at: Facility | None = None,
        username: str | None = None,
        password: str = PASSWORD,
    ) -> User:
        return services.create_user(
            actor=None,
            facility=at or facility,
            username=username or f"{roles[0]}{next(counter)}",
            password=password,
            roles=roles,
            skip_permission_checks=True,
        )

    return make


@pytest.fixture
def client_for(make_user):
    """client_for("auditor") -> a Django test client signed in (and 2FA-verified) in that role."""

    def make(*roles: str, **kwargs) -> Client:
        return verified_session(Client(), make_user(*roles, **kwargs))

    return make


@pytest.fixture
def api_client_for(make_user):
    """api_client_for("admin") -> a DRF client sending a fresh bearer token for that role."""

    def make(*roles: str, **kwargs) -> APIClient:
        user = make_user(*roles, **kwargs)
        # A week: tests that travel to tomorrow's clinic keep it valid there.
        _, raw = services.issue_token(
            actor=None, user=user, name="test", days=7, skip_permission_checks=True
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.user = user
        return client

    return make
