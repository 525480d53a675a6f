"""The API answers as its OpenAPI schema says: every REST and FHIR operation of
/api/schema/, fuzzed with schemathesis, never answers 500, answers only the statuses
it documents, and its bodies match their schemas.

Bounded so that it runs in a minute or two: a few examples per operation, against the
WSGI application in the test's own database, signed in with a token of a user who
holds every staff role, over a clinic with practitioners, slots and patients."""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from hms.accounts import services
from hms.accounts.permissions import RoleCode
from hms.interop.fhir.tests.scheduling_clinic import a_clinic
from hms.patients.testing import registered

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
EXAMPLES = 5
APP = get_wsgi_application()


def _schema() -> dict:
    # The schema /api/schema/ serves, built here so that loading it needs no database.
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(_schema())
schema.app = APP


@pytest.fixture
def connection_kept():
    """The WSGI handler closes the database connection after each request, which would
    end the test's transaction; Django's own test client keeps it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(facility, make_user):
    """A bearer token of a user holding every staff role, over a clinic with patients."""
    staff_roles = [code for code in RoleCode if code != RoleCode.PATIENT]
    user = make_user(*staff_roles)
    a_clinic(facility, user)
    registered(facility, given_name="Amina", family_name="Odhiambo")
    registered(facility, given_name="Baraka", family_name="Mwangi")
    _, raw = services.issue_token(
        actor=None, user=user, name="contract", days=7, skip_permission_checks=True
    )
    return raw


def _fuzz(operation, headers: dict) -> None:
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept")
def test_every_operation_keeps_to_the_schema(token):
    # given: one clinic for every operation (a setup per operation would cost more
    # than the calls), which the calls then add to
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100  # the whole API, REST and FHIR

    # when
    failures = []
    for operation in operations:
        try:
            _fuzz(operation, headers)
        except Exception as exc:  # noqa: BLE001  (every operation is tried; all are reported)
            failures.append(f"{operation.label}: {exc}"[:3000])

    # then
    assert failures == []
