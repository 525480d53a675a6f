"""An estimated birth date reads "~1992" under its "Born" label and "born ~1992" in a
list: the word once, never "Born born ~1992"."""

import datetime as dt

from django.template.loader import render_to_string

from hms.patients.models import Patient


def estimated() -> Patient:
    return Patient(
        given_name="Amina",
        family_name="Otieno",
        mrn="RGH-1",
        birth_date=dt.date(1992, 1, 1),
        birth_date_estimated=True,
    )


def test_the_banner_says_born_once():
    html = render_to_string("patients/_banner.html", {"patient": estimated()})

    assert "<dt>Born</dt><dd>~1992</dd>" in html
    assert "born ~" not in html.lower()


def test_a_known_birth_date_is_shown_whole():
    patient = estimated()
    patient.birth_date_estimated = False

    html = render_to_string("patients/_banner.html", {"patient": patient})

    assert "<dt>Born</dt><dd>1 Jan 1992</dd>" in html
