"""`hms import fhir`: Patient resources from FHIR R4 Bundles, on both databases."""

from __future__ import annotations

import codecs
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hms.interop.fhir.importer import FhirSource, map_patient
from hms.patients.importing import import_patients
from hms.patients.models import Patient

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "import_bundle.json"
SYNTHEA = Path(__file__).resolve().parents[6] / "shared" / "testdata" / "synthea-r4-smart-on-fhir"
needs_synthea = pytest.mark.skipif(
    not SYNTHEA.is_dir(), reason=f"the shared Synthea bundles are not on this machine ({SYNTHEA})"
)


def run(facility, *paths: Path, **kwargs):
    source = FhirSource(list(paths), region=facility.country)
    report = import_patients(
        actor=None,
        facility=facility,
        rows=source,
        source="fhir",
        skip_permission_checks=True,
        **kwargs,
    )
    return report, source


def test_maps_a_patient_resource(facility):
    # when
    report, _ = run(facility, FIXTURE, accept_good_rows=True)

    # then
    assert report.created == 2
    wanjiru = Patient.objects.get(given_name="Wanjiru")
    assert (wanjiru.middle_name, wanjiru.family_name, wanjiru.sex) == ("Njeri", "Kamau", "female")
    assert (wanjiru.birth_date, wanjiru.birth_date_estimated) == (dt.date(1980, 3, 4), False)
    assert (wanjiru.phone, wanjiru.email) == ("+254712345678", "w@example.org")
    assert (wanjiru.marital_status, wanjiru.language) == ("W", "sw")
    assert wanjiru.is_deceased is True
    assert wanjiru.deceased_at == dt.datetime(2024, 2, 1, 7, 0, tzinfo=dt.UTC)
    assert wanjiru.address == {"line": "12 Moi Avenue", "city": "Nairobi", "country": "KE"}
    assert sorted(wanjiru.identifiers.values_list("system", "value", "assigner")) == [
        ("external", "fhir:pat-good", ""),
        ("http://example.org/loyalty", "L-77", ""),
        ("national_id", "23456789", "http://example.org/ke/national-id"),
        ("other_mrn", "OH-1", "http://other-hospital.example.org"),
    ]
    contact = wanjiru.contacts.get()
    assert (contact.name, contact.relationship, contact.phone) == (
        "Peter Kamau",
        "son",
        "+254722111222",
    )


def test_a_year_only_birth_date_is_estimated_and_a_bad_phone_dropped(facility):
    # when
    report, _ = run(facility, FIXTURE, accept_good_rows=True)

    # then
    baraka = Patient.objects.get(given_name="Baraka")
    assert (baraka.birth_date, baraka.birth_date_estimated) == (dt.date(1950, 7, 1), True)
    assert baraka.phone == ""
    assert report.warnings == 1
    warning = next(p for p in report.problems if p.severity == "warning")
    assert warning.message.startswith("Phone dropped: '555-123-4567'")


def test_invalid_patients_are_reported_with_the_reason(facility):
    # when
    report, source = run(facility, FIXTURE, accept_good_rows=True)

    # then
    errors = {
        source.where[p.row]: (p.field, p.message) for p in report.problems if p.severity == "error"
    }
    assert set(errors) == {
        "import_bundle.json entry 2",
        "import_bundle.json entry 3",
        "import_bundle.json entry 4",
    }
    assert errors["import_bundle.json entry 2"][0] == "Patient.shoeSize"
    assert errors["import_bundle.json entry 2"][1].startswith("Not a valid FHIR Patient")
    assert errors["import_bundle.json entry 3"][0].startswith("Patient.birthDate")
    assert errors["import_bundle.json entry 4"] == (
        "birth_date",
        "The birth date is in the future.",
    )
    assert report.invalid == 3
    assert source.skipped == {"Observation": 1}


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"gender": "nope"}, "Patient.gender"),
        ({"active": "yes"}, "Patient.active"),
        ({"name": "Smith"}, "Patient.name"),
    ],
)
def test_codes_and_json_types_are_checked_as_the_fhir_api_does(change, where):
    # given
    resource = {"resourceType": "Patient", "id": "p1", "name": [{"family": "A", "given": ["B"]}]}

    # when
    row = map_patient({**resource, **change}, 1, region="KE")

    # then
    assert row.data is None
    assert row.problems[0].field.startswith(where)


def test_without_accepting_good_rows_a_bad_patient_stops_the_import(facility):
    # when
    report, _ = run(facility, FIXTURE)

    # then
    assert report.stopped is True
    assert Patient.objects.count() == 0


def test_command_prints_what_it_skipped(facility, capsys):
    # when
    call_command("import", "fhir", str(FIXTURE), "--accept-good-rows")

    # then
    out = capsys.readouterr().out
    assert "import_bundle.json entry 2, Patient.shoeSize: Not a valid FHIR Patient" in out
    assert "Skipped resources that are not patients: 1 Observation." in out
    assert "2 patient(s) imported." in out
    assert "3 bad row(s) skipped." in out


def test_command_refuses_a_missing_path(facility):
    with pytest.raises(CommandError, match="No such file or folder"):
        call_command("import", "fhir", "/nonexistent/bundle.json")


@needs_synthea
def test_synthea_bundles(facility, capsys):
    # when
    call_command("import", "fhir", str(SYNTHEA))

    # then
    out = capsys.readouterr().out
    assert Patient.objects.count() == 30
    assert "30 patient(s) imported." in out
    assert "1800 Observation" in out
    atencio = Patient.objects.get(family_name="Atencio")
    assert (atencio.given_name, atencio.sex, atencio.birth_date) == (
        "Alberto",
        "male",
        dt.date(1993, 6, 7),
    )
    assert (atencio.marital_status, atencio.language) == ("M", "es")
    systems = dict(atencio.identifiers.values_list("system", "value"))
    assert systems == {
        "external": "fhir:4e8ed886-fd5f-40bb-8feb-f339b04d853a",
        "other_mrn": "fc712d1f-5a2e-4407-9c55-a2a2bad623c2",
        "national_id": "999-61-3984",
        "driver_license": "S99912573",
        "passport": "X82665992X",
    }
    assert Patient.objects.filter(is_deceased=True).exists()

    # when: imported again
    call_command("import", "fhir", str(SYNTHEA))

    # then
    assert "30 row(s) were imported before: skipped." in capsys.readouterr().out
    assert Patient.objects.count() == 30


ATENCIO = "4e8ed886-fd5f-40bb-8feb-f339b04d853a"  # his Patient's id and fullUrl uuid


def _exported_without_ids(folder: Path) -> Path:
    """Synthea's bundles as another exporter writes them: a byte order mark first, and
    creates with no resource id, named only by their urn:uuid fullUrl."""
    for path in sorted(SYNTHEA.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        for entry in bundle.get("entry", []):
            entry["resource"].pop("id", None)
        text = json.dumps(bundle)
        (folder / path.name).write_bytes(codecs.BOM_UTF8 + text.encode())
    return folder


@needs_synthea
def test_synthea_bundles_without_ids_go_in_once_however_often_imported(facility, capsys, tmp_path):
    # given
    folder = _exported_without_ids(tmp_path)

    # when
    call_command("import", "fhir", str(folder))

    # then: each named by its urn:uuid, as the same bundles with ids are
    assert "30 patient(s) imported." in capsys.readouterr().out
    atencio = Patient.objects.get(family_name="Atencio")
    assert atencio.identifiers.get(system="external").value == f"fhir:{ATENCIO}"

    # when: imported again
    call_command("import", "fhir", str(folder))

    # then
    assert "30 row(s) were imported before: skipped." in capsys.readouterr().out
    assert Patient.objects.count() == 30


@pytest.mark.parametrize(
    ("full_url", "expected"),
    [
        (f"urn:uuid:{ATENCIO}", f"fhir:{ATENCIO}"),
        ("https://elsewhere.example/fhir/Patient/7", ""),
        ("", ""),
    ],
)
def test_a_patient_without_an_id_is_named_by_its_urn_uuid_alone(facility, full_url, expected):
    # given
    resource = {
        "resourceType": "Patient",
        "name": [{"family": "Wanjiru", "given": ["Amina"]}],
        "gender": "female",
        "birthDate": "1990-04-12",
    }

    # when
    row = map_patient(resource, 1, region="KE", full_url=full_url)

    # then
    assert row.external_id == expected
    assert bool(row.problems) is (expected == "")
