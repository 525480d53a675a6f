"""What every REST and FHIR answer shares: unknown addresses answer in the door's own
format whatever the method, a byte order mark opens a JSON body, nothing is cached,
and the browsable API stays shut outside development."""

import codecs
import json

import pytest
from rest_framework.test import APIClient

from hms.accounts import services
from hms.accounts.models import ApiToken
from hms.interop.fhir.tests.helpers import FHIR_JSON, operation_outcome
from hms.patients.models import Patient

UNSAFE = ["post", "put", "patch", "delete"]


@pytest.fixture
def bearer(make_user):
    """A client that sends a bearer token and, like a browser's Django, checks CSRF."""
    user = make_user("receptionist")
    _, raw = services.issue_token(
        actor=None, user=user, name="test", days=7, skip_permission_checks=True
    )
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", *UNSAFE])
def test_an_unknown_rest_address_answers_json_404_to_every_method(bearer, method):
    # when
    response = getattr(bearer, method)("/api/v1/no-such-thing/", {}, format="json")

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "NOT_FOUND"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", *UNSAFE])
def test_an_unknown_fhir_address_answers_an_operation_outcome_to_every_method(bearer, method):
    # when
    response = getattr(bearer, method)("/fhir/R4/NoSuchType/1", {}, format="json")

    # then
    assert response.status_code == 404
    assert operation_outcome(response).issue[0].code == "not-supported"


@pytest.mark.django_db
def test_a_rest_body_may_start_with_a_byte_order_mark(bearer):
    # given
    body = codecs.BOM_UTF8 + json.dumps({"name": "exported", "expires_days": 3}).encode()

    # when
    response = bearer.post("/api/v1/tokens/", body, content_type="application/json")

    # then
    assert response.status_code == 201, response.content
    assert ApiToken.objects.filter(name="exported").count() == 1


@pytest.mark.django_db
def test_a_fhir_body_may_start_with_a_byte_order_mark(bearer):
    # given
    resource = {
        "resourceType": "Patient",
        "name": [{"family": "Wanjiru", "given": ["Amina"]}],
        "gender": "female",
        "birthDate": "1990-04-12",
        "telecom": [{"system": "phone", "value": "+254712345678"}],
    }
    body = codecs.BOM_UTF8 + json.dumps(resource).encode()

    # when
    response = bearer.post("/fhir/R4/Patient", body, content_type=FHIR_JSON)

    # then
    assert response.status_code == 201, response.content
    assert Patient.objects.filter(family_name="Wanjiru").count() == 1


@pytest.mark.django_db
def test_a_body_that_is_not_json_still_answers_400(bearer):
    # when
    response = bearer.post(
        "/api/v1/tokens/", codecs.BOM_UTF8 + b"{nope", content_type="application/json"
    )

    # then
    assert response.status_code == 400
    assert ApiToken.objects.filter(name="nope").exists() is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/patients/", "/api/v1/no-such-thing/", "/fhir/R4/Patient", "/fhir/R4/Nope"]
)
def test_rest_and_fhir_answers_are_never_stored_by_a_cache(bearer, url):
    # when
    response = bearer.get(url)

    # then
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_browsable_api_is_off_outside_development(bearer):
    # given: the JSON answer of the same address, as the control
    assert bearer.get("/api/v1/me/").status_code == 200

    # when
    response = bearer.get("/api/v1/me/?format=api", HTTP_ACCEPT="text/html")

    # then
    assert response.status_code == 404
    assert "text/html" not in response["Content-Type"]
