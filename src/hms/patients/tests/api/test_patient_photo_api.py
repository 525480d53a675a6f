"""GET/PUT/DELETE /api/v1/patients/{id}/photo/: the photo over REST."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from hms.audit.models import AuditEvent
from hms.patients.models import PatientPhoto, TimelineEntry
from hms.patients.tests.api.conftest import detail_url
from hms.patients.tests.api.helpers import refused_field
from hms.patients.tests.images import a_jpeg, a_jpeg_with_gps, a_picture, hostile_files


def photo_url(patient) -> str:
    return f"{detail_url(patient)}photo/"


def put(client, patient, data: bytes, name: str = "photo.jpg"):
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.put(photo_url(patient), {"photo": upload}, format="multipart")


def test_put_stores_the_photo_and_answers_its_details(clerk, register):
    # given
    patient = register()

    # when
    response = put(clerk, patient, a_picture("WEBP", (1000, 500)), "face.webp")

    # then
    assert response.status_code == 200
    body = response.json()
    stored = PatientPhoto.objects.get(patient=patient)
    assert body == {
        "url": photo_url(patient),
        "content_type": "image/jpeg",
        "width": 480,
        "height": 240,
        "size": stored.size,
        "updated_at": body["updated_at"],
    }
    assert AuditEvent.objects.filter(object_type="patients.PatientPhoto", action="create").count()


def test_get_answers_the_jpeg_privately(clerk, register):
    # given
    patient = register()
    put(clerk, patient, a_jpeg_with_gps())

    # when
    response = clerk.get(photo_url(patient), HTTP_ACCEPT="image/jpeg")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "JPEG"
    assert dict(picture.getexif()) == {}
    read = AuditEvent.objects.filter(action="read", reason="photo").get()
    assert read.patient_id == str(patient.external_id)


def test_put_again_replaces_and_delete_removes(clerk, register):
    # given
    patient = register()
    put(clerk, patient, a_jpeg((800, 600)))

    # when
    replaced = put(clerk, patient, a_jpeg((600, 800)))
    removed = clerk.delete(photo_url(patient))

    # then
    assert replaced.status_code == 200
    assert (replaced.json()["width"], replaced.json()["height"]) == (360, 480)
    assert removed.status_code == 204
    assert not PatientPhoto.objects.exists()
    actions = AuditEvent.objects.filter(object_type="patients.PatientPhoto").order_by("id")
    assert list(actions.values_list("action", flat=True)) == ["create", "update", "delete"]
    assert clerk.get(photo_url(patient)).status_code == 404
    assert clerk.delete(photo_url(patient)).status_code == 404


@pytest.mark.parametrize("name", list(hostile_files()))
def test_a_hostile_file_is_a_400_naming_photo_and_changes_nothing(clerk, register, name):
    # given
    patient = register()
    timeline = TimelineEntry.objects.count()

    # when
    response = put(clerk, patient, hostile_files()[name])

    # then
    assert response.status_code == 400
    assert refused_field(response) == "photo"
    assert response.json()["code"] == "INVALID_PHOTO"
    assert not PatientPhoto.objects.exists()
    assert TimelineEntry.objects.count() == timeline


def test_a_body_without_the_photo_field_is_a_400(clerk, register):
    patient = register()

    response = clerk.put(photo_url(patient), {}, format="multipart")

    assert response.status_code == 400
    assert refused_field(response) == "photo"


def test_json_is_not_accepted(clerk, register):
    patient = register()

    response = clerk.put(photo_url(patient), {"photo": "aGVsbG8="}, format="json")

    assert response.status_code == 415
    assert not PatientPhoto.objects.exists()


def test_a_role_without_edit_cannot_put_or_delete(api_client_for, clerk, register):
    # given
    patient = register()
    put(clerk, patient, a_jpeg())
    doctor = api_client_for("doctor")

    # when
    replaced = put(doctor, patient, a_jpeg((300, 300)))
    removed = doctor.delete(photo_url(patient))

    # then
    assert (replaced.status_code, removed.status_code) == (403, 403)
    assert replaced.json()["code"] == "PERMISSION_DENIED"
    assert PatientPhoto.objects.get().width == 480
    assert doctor.get(photo_url(patient)).status_code == 200


def test_a_role_without_view_cannot_get(api_client_for, clerk, register):
    # given
    patient = register()
    put(clerk, patient, a_jpeg())

    # when
    response = api_client_for("auditor").get(photo_url(patient))

    # then
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
    assert not AuditEvent.objects.filter(action="read", reason="photo").exists()


def test_the_endpoint_is_in_the_openapi_schema(clerk):
    response = clerk.get("/api/schema/", {"format": "json"})

    operations = response.json()["paths"]["/api/v1/patients/{external_id}/photo/"]
    assert set(operations) >= {"get", "put", "delete"}
    assert "image/jpeg" in operations["get"]["responses"]["200"]["content"]
    assert "multipart/form-data" in operations["put"]["requestBody"]["content"]
