"""The photo on the patient page: upload (file or camera), replace, remove, and the
picture served only to those who may see the patient."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hms.audit.models import AuditEvent
from hms.patients import photos
from hms.patients.models import PatientPhoto, TimelineEntry
from hms.patients.tests.images import a_jpeg, a_jpeg_with_gps, hostile_files
from hms.patients.tests.web.conftest import errors_of, page


def a_file(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_the_page_shows_a_placeholder_and_the_camera_upload_when_there_is_no_photo(clerk, register):
    # given
    patient = register()

    # when
    html = clerk.get(page("patient-detail", patient)).content.decode()

    # then
    assert 'aria-label="No photo of this patient"' in html
    assert page("patient-photo", patient) not in html
    assert 'type="file" name="photo"' in html
    assert 'capture="user"' in html
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert 'enctype="multipart/form-data"' in html


def test_uploading_from_the_page_shows_the_photo_in_the_banner(clerk, register):
    # given
    patient = register()

    # when
    response = clerk.post(page("patient-photo-upload", patient), {"photo": a_file(a_jpeg())})

    # then
    assert response.status_code == 302
    assert response["Location"] == page("patient-detail", patient)
    assert PatientPhoto.objects.filter(patient=patient).count() == 1
    html = clerk.get(page("patient-detail", patient)).content.decode()
    assert f'src="{page("patient-photo", patient)}"' in html
    assert 'alt="Photo of Juma Otieno"' in html
    assert "Replace photo" in html
    assert "Remove photo" in html


def test_the_photo_is_served_as_a_private_jpeg_and_the_read_is_audited(clerk, register):
    # given
    patient = register()
    clerk.post(page("patient-photo-upload", patient), {"photo": a_file(a_jpeg_with_gps())})
    reads = AuditEvent.objects.filter(action="read", reason="photo").count()

    # when
    response = clerk.get(page("patient-photo", patient))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == PatientPhoto.objects.get(patient=patient).image
    assert b"Exif" not in response.content
    assert AuditEvent.objects.filter(action="read", reason="photo").count() == reads + 1


@pytest.mark.parametrize("name", list(hostile_files()))
def test_a_hostile_file_is_refused_on_the_page_with_the_reason(clerk, register, name):
    # given
    patient = register()
    timeline = TimelineEntry.objects.count()

    # when
    response = clerk.post(
        page("patient-photo-upload", patient), {"photo": a_file(hostile_files()[name])}
    )

    # then
    assert response.status_code == 400
    errors = errors_of(response.content.decode(), "photo")
    assert len(errors) == 1
    assert "photo" in errors[0].lower()
    assert not PatientPhoto.objects.exists()
    assert TimelineEntry.objects.count() == timeline


def test_posting_no_file_is_refused(clerk, register):
    patient = register()

    response = clerk.post(page("patient-photo-upload", patient), {})

    assert response.status_code == 400
    assert errors_of(response.content.decode(), "photo") == ["This field is required."]


def test_removing_from_the_page(clerk, register):
    # given
    patient = register()
    clerk.post(page("patient-photo-upload", patient), {"photo": a_file(a_jpeg())})

    # when
    response = clerk.post(page("patient-photo-remove", patient))

    # then
    assert response.status_code == 302
    assert not PatientPhoto.objects.exists()
    assert clerk.get(page("patient-photo", patient)).status_code == 404
    html = clerk.get(page("patient-detail", patient)).content.decode()
    assert 'aria-label="No photo of this patient"' in html


def test_a_role_without_edit_sees_the_photo_but_cannot_change_it(client_for, clerk, register):
    # given
    patient = register()
    clerk.post(page("patient-photo-upload", patient), {"photo": a_file(a_jpeg())})
    doctor = client_for("doctor")

    # when
    html = doctor.get(page("patient-detail", patient)).content.decode()
    upload = doctor.post(page("patient-photo-upload", patient), {"photo": a_file(a_jpeg())})
    remove = doctor.post(page("patient-photo-remove", patient))

    # then
    assert 'type="file" name="photo"' not in html
    assert doctor.get(page("patient-photo", patient)).status_code == 200
    assert (upload.status_code, remove.status_code) == (403, 403)
    assert PatientPhoto.objects.count() == 1
    assert TimelineEntry.objects.filter(summary__startswith="Photo").count() == 1


def test_a_role_without_view_cannot_fetch_the_photo(client_for, clerk, register):
    # given
    patient = register()
    clerk.post(page("patient-photo-upload", patient), {"photo": a_file(a_jpeg())})

    # when
    response = client_for("auditor").get(page("patient-photo", patient))

    # then
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_another_facilitys_patient_photo_is_not_found(client_for, clerk, register, other_facility):
    # given
    theirs = register(at=other_facility)
    photos.upload_patient_photo(
        actor=None, patient=theirs, upload=a_file(a_jpeg()), skip_permission_checks=True
    )

    # when / then
    assert clerk.get(page("patient-photo", theirs)).status_code == 404
    assert clerk.post(page("patient-photo-remove", theirs)).status_code == 404
    assert PatientPhoto.objects.count() == 1
