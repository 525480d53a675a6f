"""Bytes that are not UTF-8, sent to a page as a form or in the address, are refused
with a 400 page and never stored as U+FFFD; the REST API refuses them alike."""

from __future__ import annotations

import pytest

from hms.patients.models import Patient
from hms.patients.tests.api.conftest import LIST
from hms.patients.tests.web.conftest import REGISTER_FULL, SEARCH

pytestmark = pytest.mark.django_db

FORM = (
    b"given_name={name}&family_name=Wanjiru&sex=female&birth=1990-04-12"
    b"&identifiers-TOTAL_FORMS=0&identifiers-INITIAL_FORMS=0"
    b"&contacts-TOTAL_FORMS=0&contacts-INITIAL_FORMS=0"
)
URLENCODED = "application/x-www-form-urlencoded"


def _form(name: bytes) -> bytes:
    return FORM.replace(b"{name}", name)


@pytest.fixture
def clerk(client_for):
    return client_for("receptionist")


@pytest.mark.parametrize("name", [b"Am%FFina", b"Am\xff\xfeina", b"%C3%28", b"%ED%A0%80"])
def test_a_form_that_is_not_utf8_is_refused(clerk, name):
    # when
    response = clerk.generic("POST", REGISTER_FULL, _form(name), content_type=URLENCODED)

    # then
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert Patient.objects.count() == 0


def test_a_utf8_form_is_taken(clerk):
    # positive control: the same form, its name in UTF-8
    response = clerk.generic("POST", REGISTER_FULL, _form(b"Am%C3%A9lie"), content_type=URLENCODED)

    assert response.status_code == 302
    assert Patient.objects.get().given_name == "Amélie"


def test_a_multipart_form_that_is_not_utf8_is_refused(clerk):
    # given
    fields = {
        "given_name": b"Am\xffina",
        "family_name": b"Wanjiru",
        "sex": b"female",
        "birth": b"1990-04-12",
        "identifiers-TOTAL_FORMS": b"0",
        "identifiers-INITIAL_FORMS": b"0",
        "contacts-TOTAL_FORMS": b"0",
        "contacts-INITIAL_FORMS": b"0",
    }
    body = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (k.encode(), v)
        for k, v in fields.items()
    )

    # when
    response = clerk.generic(
        "POST", REGISTER_FULL, body + b"--B--\r\n", content_type="multipart/form-data; boundary=B"
    )

    # then
    assert response.status_code == 400
    assert Patient.objects.count() == 0


def test_a_query_string_that_is_not_utf8_is_refused(clerk):
    assert clerk.get(SEARCH, QUERY_STRING="q=Am%FFina").status_code == 400
    assert clerk.get(SEARCH, QUERY_STRING="q=Am%C3%A9lie").status_code == 200


def test_rest_refuses_a_body_that_is_not_utf8(api_client_for):
    body = b'{"given_name": "Am\xffina", "family_name": "Wanjiru", "sex": "female"}'
    response = api_client_for("receptionist").generic(
        "POST", LIST, body, content_type="application/json"
    )

    assert response.status_code == 400
    assert Patient.objects.count() == 0
