"""A receptionist adds a patient's photo from the patient page and sees it in the banner,
then removes it and sees the placeholder again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]


@pytest.fixture
def patient(facility):
    from hms.patients import services
    from hms.patients.inputs import PatientInput

    return services.register_patient(
        actor=None,
        facility=facility,
        data=PatientInput(
            given_name="Zawadi", family_name="Achieng", sex="female", birth_date=dt.date(1992, 6, 1)
        ),
        skip_permission_checks=True,
    )


def test_receptionist_uploads_a_photo_and_sees_it_in_the_banner(
    page, sign_in, site, make_user, patient, tmp_path
):
    from hms.patients.models import PatientPhoto
    from hms.patients.tests.images import a_jpeg_with_gps

    picture = tmp_path / "zawadi.jpg"
    picture.write_bytes(a_jpeg_with_gps())
    make_user("receptionist", username="wanjiru")
    sign_in("wanjiru")
    page.goto(site(f"/patients/{patient.external_id}/"))
    banner = page.get_by_role("banner", name="Patient").or_(page.locator("header.banner"))
    expect(banner.get_by_role("img", name="No photo of this patient")).to_be_visible()

    # When she chooses the picture and saves it
    page.get_by_label("Photo", exact=True).set_input_files(str(picture))
    page.get_by_role("button", name="Save photo").click()

    # Then the banner shows it, loaded from the server
    photo = page.locator("header.banner img.banner-photo")
    expect(photo).to_have_attribute("alt", "Photo of Zawadi Achieng")
    expect(page.get_by_text("Photo saved.")).to_be_visible()
    # decode() settles once the picture has loaded (or failed to), whenever that is.
    assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 480
    assert PatientPhoto.objects.filter(patient=patient).count() == 1

    # And when she removes it, the placeholder is back
    page.get_by_role("button", name="Remove photo").click()
    expect(page.get_by_role("img", name="No photo of this patient")).to_be_visible()
    assert not PatientPhoto.objects.exists()
