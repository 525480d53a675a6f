"""Counting with a search: `_summary=count` and `_count=0` answer a searchset Bundle
with `total` and no entries, on every resource type that can be searched."""

import json

import pytest

from hms.interop.fhir import urls
from hms.interop.fhir.base import REGISTRY

assert urls.urlpatterns  # the views register their resources when the URLs load

SEARCHABLE = sorted(t for t, reg in REGISTRY.items() if "search-type" in reg.interactions)


def _bundle(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


@pytest.mark.django_db
@pytest.mark.parametrize("resource_type", SEARCHABLE)
@pytest.mark.parametrize("ask", ["_summary=count", "_count=0", "_summary=count&_count=5"])
def test_a_count_search_answers_the_total_alone(api_client_for, resource_type, ask):
    # given
    client = api_client_for("admin")

    # when
    bundle = _bundle(client, f"/fhir/R4/{resource_type}?{ask}")

    # then
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    assert isinstance(bundle["total"], int)
    assert "entry" not in bundle


@pytest.mark.django_db
@pytest.mark.parametrize("resource_type", ["Patient", "Organization"])
def test_the_count_is_of_the_matches_that_a_search_would_list(
    api_client_for, register, resource_type
):
    # given: two patients, and the facility with its department
    register(given_name="Amina", family_name="Odhiambo")
    register(given_name="Baraka", family_name="Mwangi")
    client = api_client_for("admin")
    listed = _bundle(client, f"/fhir/R4/{resource_type}")

    # when
    counted = _bundle(client, f"/fhir/R4/{resource_type}?_summary=count")

    # then
    assert len(listed["entry"]) == 2
    assert counted["total"] == 2
    assert "entry" not in counted


@pytest.mark.django_db
def test_a_count_search_still_filters(api_client_for, register):
    # given
    register(given_name="Amina", family_name="Odhiambo")
    register(given_name="Baraka", family_name="Mwangi")

    # when
    bundle = _bundle(api_client_for("admin"), "/fhir/R4/Patient?family=Mwangi&_summary=count")

    # then
    assert bundle["total"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("resource_type", ["Patient", "Encounter", "Organization"])
def test_summaries_other_than_count_are_refused_by_name(api_client_for, resource_type):
    # when
    response = api_client_for("admin").get(f"/fhir/R4/{resource_type}?_summary=text")

    # then
    assert response.status_code == 400
    assert "_summary" in json.loads(response.content)["issue"][0]["diagnostics"]
