"""Patient.photo: an Attachment linking to the REST photo endpoint when there is one."""

from __future__ import annotations

import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient as FhirPatient

from hms.patients import photos
from hms.patients.tests.images import a_jpeg

TYPE = "/fhir/R4/Patient"


def with_photo(patient):
    photos.upload_patient_photo(
        actor=None, patient=patient, upload=io.BytesIO(a_jpeg()), skip_permission_checks=True
    )
    return patient


@pytest.fixture
def doctor(api_client_for):
    return api_client_for("doctor")


def test_read_links_the_photo_with_an_absolute_url(doctor, register):
    # given
    patient = with_photo(register())
    size = photos.patient_photo(patient=patient).size

    # when
    response = doctor.get(f"{TYPE}/{patient.external_id}")

    # then
    assert response.status_code == 200
    resource = FhirPatient.model_validate(json.loads(response.content))
    [photo] = resource.photo
    assert photo.contentType == "image/jpeg"
    assert photo.url == f"http://testserver/api/v1/patients/{patient.external_id}/photo/"
    assert photo.size == size
    assert photo.data is None
    fetched = doctor.get(photo.url)
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "image/jpeg"


def test_a_patient_without_a_photo_has_no_photo_element(doctor, register):
    patient = register()

    body = json.loads(doctor.get(f"{TYPE}/{patient.external_id}").content)

    assert "photo" not in body


def test_adding_a_photo_gives_a_new_version(doctor, register):
    # given
    patient = register()
    before = doctor.get(f"{TYPE}/{patient.external_id}")["ETag"]

    # when
    with_photo(patient)

    # then
    assert doctor.get(f"{TYPE}/{patient.external_id}")["ETag"] != before


def test_search_results_carry_the_photo_without_a_query_per_patient(
    doctor, register, django_assert_max_num_queries
):
    # given
    for n in range(3):
        with_photo(register(given_name=f"Juma{n}"))
    register(given_name="Juma9")

    # when
    with django_assert_max_num_queries(30) as queries:
        response = doctor.get(TYPE, {"family": "Otieno"})

    # then
    bundle = Bundle.model_validate(json.loads(response.content))
    linked = [e.resource.photo for e in bundle.entry if e.resource.photo]
    assert len(linked) == 3
    # One joined read of the photos' details, and none of their encrypted bytes.
    [joined] = [q["sql"] for q in queries.captured_queries if "patientphoto" in q["sql"]]
    assert 'JOIN "patients_patientphoto"' in joined
    assert '"patients_patientphoto"."image"' not in joined
