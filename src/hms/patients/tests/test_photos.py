"""Patient photos through the services: re-encoded, stripped of EXIF, encrypted,
audited, on the timeline; hostile files refused with nothing written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from PIL import Image

from hms.audit.models import AuditEvent
from hms.core import crypto
from hms.core.errors import InvalidInput, NotFound, NotPermitted
from hms.patients import photos, services
from hms.patients.errors import PatientErrorCode
from hms.patients.inputs import PatientInput
from hms.patients.models import Patient, PatientPhoto, TimelineEntry
from hms.patients.tests.images import MARKER, a_jpeg, a_jpeg_with_gps, a_picture, hostile_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(facility) -> Patient:
    return services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(
            given_name="Amina", family_name="Wanjiru", sex="female", birth_date=dt.date(1990, 4, 12)
        ),
        skip_permission_checks=True,
    )


@pytest.fixture
def clerk(make_user):
    return make_user("receptionist")


def upload(actor, patient, data: bytes) -> PatientPhoto:
    return photos.upload_patient_photo(actor=actor, patient=patient, upload=io.BytesIO(data))


def stored_column(photo: PatientPhoto) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT image FROM patients_patientphoto WHERE id = %s", [photo.pk])
        return cursor.fetchone()[0]


def photo_events() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="patients.PatientPhoto")
        .order_by("id")
        .values_list("action", "reason")
    )


def test_upload_stores_a_small_jpeg_encrypted(clerk, patient):
    # when
    photo = upload(clerk, patient, a_picture("PNG", (1600, 1200)))

    # then
    stored = PatientPhoto.objects.get(patient=patient)
    picture = Image.open(io.BytesIO(stored.image))
    assert picture.format == "JPEG"
    assert picture.size == (480, 360) == (photo.width, photo.height)
    assert stored.size == len(stored.image)
    assert stored.created_by == clerk
    raw = stored_column(stored)
    assert raw.startswith(f"{crypto.keyring().current_id}:")
    assert b"\xff\xd8" not in raw.encode()


def test_exif_gps_and_camera_details_are_stripped(clerk, patient):
    # given: the upload carries a GPS position and a serial number
    original = a_jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)

    # when
    upload(clerk, patient, original)

    # then
    kept = PatientPhoto.objects.get(patient=patient).image
    picture = Image.open(io.BytesIO(kept))
    assert dict(picture.getexif()) == {}
    assert "exif" not in picture.info
    assert b"Exif" not in kept
    assert MARKER not in kept


def test_upload_is_audited_and_on_the_timeline(clerk, patient):
    # when
    photo = upload(clerk, patient, a_jpeg())

    # then
    event = AuditEvent.objects.get(object_type="patients.PatientPhoto")
    assert (event.action, event.reason) == ("create", "Photo added")
    assert event.object_id == str(photo.external_id)
    assert event.patient_id == str(patient.external_id)
    assert event.actor == clerk
    entry = TimelineEntry.objects.get(patient=patient, summary="Photo added")
    assert (entry.kind, entry.actor, entry.detail) == ("updated", clerk, {"fields": ["photo"]})


def test_replacing_keeps_one_photo_and_audits_an_update(clerk, patient):
    # given
    first = upload(clerk, patient, a_jpeg((800, 600)))

    # when
    second = upload(clerk, patient, a_jpeg((600, 800)))

    # then
    assert PatientPhoto.objects.filter(patient=patient).count() == 1
    assert second.pk == first.pk
    assert (PatientPhoto.objects.get().width, PatientPhoto.objects.get().height) == (360, 480)
    assert photo_events() == [("create", "Photo added"), ("update", "Photo replaced")]
    assert TimelineEntry.objects.filter(patient=patient, summary="Photo replaced").count() == 1


def test_removing_deletes_the_photo_and_audits_it(clerk, patient):
    # given
    upload(clerk, patient, a_jpeg())

    # when
    photos.remove_patient_photo(actor=clerk, patient=patient)

    # then
    assert not PatientPhoto.objects.exists()
    assert photo_events()[-1] == ("delete", "Photo removed")
    assert TimelineEntry.objects.filter(patient=patient, summary="Photo removed").count() == 1


def test_removing_when_there_is_none_is_not_found(clerk, patient):
    with pytest.raises(NotFound):
        photos.remove_patient_photo(actor=clerk, patient=patient)
    assert photo_events() == []


def test_a_photo_change_moves_the_record_version(clerk, patient):
    # given
    before = Patient.objects.get(pk=patient.pk).updated_at

    # when
    upload(clerk, patient, a_jpeg())

    # then
    changed = Patient.objects.get(pk=patient.pk)
    assert changed.updated_at > before
    assert changed.updated_by == clerk


@pytest.mark.parametrize("name", list(hostile_files()))
def test_hostile_files_are_refused_and_nothing_is_written(clerk, patient, name):
    # given
    data = hostile_files()[name]
    timeline = TimelineEntry.objects.count()

    # when
    with pytest.raises(InvalidInput) as refused:
        upload(clerk, patient, data)

    # then
    assert refused.value.field == "photo"
    assert refused.value.code == PatientErrorCode.INVALID_PHOTO
    assert refused.value.message
    assert not PatientPhoto.objects.exists()
    assert TimelineEntry.objects.count() == timeline
    assert photo_events() == []


def test_a_refused_replacement_keeps_the_old_photo(clerk, patient):
    # given
    upload(clerk, patient, a_jpeg())
    kept = PatientPhoto.objects.get().image

    # when
    with pytest.raises(InvalidInput):
        upload(clerk, patient, hostile_files()["SVG"])

    # then
    assert PatientPhoto.objects.get().image == kept


def test_a_role_without_edit_cannot_upload_or_remove(make_user, clerk, patient):
    # given: doctors see patients but do not edit the registry
    doctor = make_user("doctor")
    upload(clerk, patient, a_jpeg())

    # when / then
    with pytest.raises(NotPermitted):
        upload(doctor, patient, a_jpeg((300, 300)))
    with pytest.raises(NotPermitted):
        photos.remove_patient_photo(actor=doctor, patient=patient)
    assert PatientPhoto.objects.get().width == 480
    assert len(photo_events()) == 1


def test_reading_needs_view_patient_and_is_audited(make_user, clerk, patient):
    # given
    upload(clerk, patient, a_jpeg())
    doctor, auditor = make_user("doctor"), make_user("auditor")

    # when
    photo = photos.read_patient_photo(actor=doctor, patient=patient)

    # then
    assert photo.image.startswith(b"\xff\xd8")
    read = AuditEvent.objects.get(action="read", actor=doctor)
    assert (read.patient_id, read.reason) == (str(patient.external_id), "photo")
    with pytest.raises(NotFound):
        photos.read_patient_photo(actor=auditor, patient=patient)


def test_a_merged_record_takes_no_photo(clerk, patient, facility):
    # given
    survivor = services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(given_name="Amina", family_name="Wanjiru", sex="female"),
        skip_permission_checks=True,
        check_duplicates=False,
    )
    Patient.objects.filter(pk=patient.pk).update(status="merged", merged_into=survivor)
    patient.refresh_from_db()

    # when / then
    with pytest.raises(InvalidInput) as refused:
        upload(clerk, patient, a_jpeg())
    assert refused.value.code == PatientErrorCode.NOT_ACTIVE
    assert not PatientPhoto.objects.exists()


@pytest.fixture
def key_folder(tmp_path, settings, monkeypatch):
    """A data folder of its own: keys.json starts with one key, k1."""
    monkeypatch.delenv("HMS_FIELD_KEYS", raising=False)
    monkeypatch.delenv("HMS_INDEX_KEY", raising=False)
    settings.DATA_DIR = tmp_path
    crypto.keyring.cache_clear()
    yield tmp_path
    crypto.keyring.cache_clear()


def test_key_rotation_re_encrypts_the_photo(key_folder, clerk, patient, capsys):
    # given
    photo = upload(clerk, patient, a_jpeg())
    jpeg = PatientPhoto.objects.get().image
    assert stored_column(photo).startswith("k1:")

    # when
    call_command("keys", "rotate")

    # then
    assert stored_column(photo).startswith("k2:")
    crypto.keyring.cache_clear()
    assert PatientPhoto.objects.get().image == jpeg
    assert (
        "patients.PatientPhoto.image: 1 value(s) re-encrypted with k2." in capsys.readouterr().out
    )

    # and the status counts it under the new key
    call_command("keys", "status")
    assert "    patients.PatientPhoto.image: 1" in capsys.readouterr().out
