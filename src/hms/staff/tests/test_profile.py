"""A practitioner's portrait and their user account: services and API, with bad
pictures and wrong accounts refused and nothing changed."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from hms.core.errors import Conflict, InvalidInput, NotFound
from hms.patients.tests.images import MARKER, a_jpeg, a_jpeg_with_gps
from hms.staff import profile
from hms.staff.models import PractitionerPhoto

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "portrait.jpg"):
    file = io.BytesIO(data)
    file.name = name
    return file


def test_a_portrait_is_stored_small_and_without_metadata(admin, directory):
    amina = directory["amina"]
    photo = profile.set_practitioner_photo(
        actor=admin, practitioner=amina, upload=upload(a_jpeg_with_gps())
    )
    stored = bytes(photo.image)
    assert MARKER not in stored
    assert max(Image.open(io.BytesIO(stored)).size) <= 480
    profile.set_practitioner_photo(actor=admin, practitioner=amina, upload=upload(a_jpeg()))
    assert PractitionerPhoto.objects.filter(practitioner=amina).count() == 1


def test_not_a_picture_is_refused_naming_the_field(admin, directory):
    with pytest.raises(InvalidInput) as refused:
        profile.set_practitioner_photo(
            actor=admin, practitioner=directory["amina"], upload=upload(b"<svg onload=x>")
        )
    assert refused.value.field == "photo"
    assert not PractitionerPhoto.objects.exists()


def test_removing_a_portrait_that_is_not_there_is_not_found(admin, directory):
    with pytest.raises(NotFound):
        profile.remove_practitioner_photo(actor=admin, practitioner=directory["amina"])


def test_a_user_is_linked_once(admin, directory, make_user, other_facility):
    doctor = make_user("doctor")
    amina = profile.link_user(actor=admin, practitioner=directory["amina"], user=doctor)
    assert amina.user == doctor
    with pytest.raises(Conflict):
        profile.link_user(actor=admin, practitioner=directory["jose"], user=doctor)
    elsewhere = make_user("doctor", at=other_facility)
    with pytest.raises(InvalidInput) as refused:
        profile.link_user(actor=admin, practitioner=directory["jose"], user=elsewhere)
    assert refused.value.field == "user"
    assert profile.link_user(actor=admin, practitioner=amina, user=None).user is None


def test_the_portrait_and_account_over_the_api(api_client_for, directory, make_user):
    client = api_client_for("admin")
    url = f"/api/v1/practitioners/{directory['amina'].external_id}/"
    assert client.get(f"{url}photo/").status_code == 404
    put = client.put(f"{url}photo/", {"photo": upload(a_jpeg())}, format="multipart")
    assert put.status_code == 204
    got = client.get(f"{url}photo/")
    assert (got.status_code, got["Content-Type"]) == (200, "image/jpeg")
    bad = client.put(f"{url}photo/", {"photo": upload(b"GIF89a", "x.gif")}, format="multipart")
    assert bad.status_code == 400
    assert bad.json()["field"] == "photo"
    make_user("doctor", username="dr.amina")
    linked = client.put(f"{url}user/", {"username": "dr.amina"}, format="json")
    assert (linked.status_code, linked.json()["user"]) == (200, "dr.amina")
    assert client.put(f"{url}user/", {"username": "nobody"}, format="json").status_code == 404
    assert client.delete(f"{url}photo/").status_code == 204


def test_a_receptionist_cannot_change_a_portrait(api_client_for, directory):
    desk = api_client_for("receptionist")
    url = f"/api/v1/practitioners/{directory['amina'].external_id}/photo/"
    assert desk.put(url, {"photo": upload(a_jpeg())}, format="multipart").status_code == 403
    assert not PractitionerPhoto.objects.exists()
