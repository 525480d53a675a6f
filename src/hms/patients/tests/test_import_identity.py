"""Bulk imports and who they created: the audit event names each new patient, and an
identifier that names one person is never given to a second record (both databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Q

from hms.audit.models import AuditEvent, AuditEventPatient
from hms.patients.inputs import IdentifierInput
from hms.patients.models import Patient
from hms.patients.testing import registered
from hms.patients.tests.test_importing import person, rows, run

pytestmark = pytest.mark.django_db

FHIR_BUNDLE = (
    Path(__file__).resolve().parents[2] / "interop" / "fhir" / "tests" / "fixtures"
) / "import_bundle.json"


def _created_by_import(patient: Patient) -> list[str]:
    """The reasons of the create events the auditor finds by this patient."""
    public_id = str(patient.external_id)
    listed = AuditEventPatient.objects.filter(patient_id=public_id).values("event")
    events = AuditEvent.objects.filter(Q(pk__in=listed) | Q(patient_id=public_id), action="create")
    return list(events.values_list("reason", flat=True))


def test_each_imported_patient_is_named_by_its_batch_event(facility):
    # when
    run(facility, rows(3), batch_size=2)

    # then
    imported = list(Patient.objects.order_by("mrn"))
    assert len(imported) == 3
    assert [_created_by_import(p) for p in imported] == [
        ["import test.csv rows 1-2"],
        ["import test.csv rows 1-2"],
        ["import test.csv rows 3-3"],
    ]


def test_patients_from_a_fhir_bundle_are_named_in_the_audit(facility):
    # when
    call_command("import", "fhir", str(FHIR_BUNDLE), "--accept-good-rows")

    # then
    imported = list(Patient.objects.all())
    assert len(imported) == 2
    assert all(_created_by_import(p) for p in imported)


def test_a_national_id_already_on_a_record_makes_the_row_bad(facility):
    # given
    holder = registered(facility, identifiers=[{"system": "national_id", "value": "2020 3030"}])
    same = (IdentifierInput("national_id", "20203030"),)

    # when
    stopped = run(facility, [rows(1)[0], *rows(1, start=2, identifiers=same)])
    accepted = run(facility, rows(1, start=2, identifiers=same), accept_good_rows=True)

    # then
    assert (stopped.stopped, stopped.invalid) == (True, 1)
    assert accepted.created == 0
    [problem] = accepted.problems
    assert (problem.row, problem.field) == (2, "identifiers")
    assert "National ID" in problem.message
    assert list(Patient.objects.all()) == [holder]


def test_one_national_id_on_two_rows_imports_the_first(facility):
    # given
    same = (IdentifierInput("national_id", "40405050"),)
    source = [*rows(1, identifiers=same), *rows(1, start=2, identifiers=same)]

    # when
    report = run(facility, source, accept_good_rows=True, batch_size=1)

    # then
    assert (report.created, report.invalid) == (1, 1)
    assert Patient.objects.get().given_name == person(1).given_name


def test_a_rerun_of_rows_with_national_ids_skips_them(facility):
    # given
    source = rows(2, identifiers=(IdentifierInput("passport", "A1234567"),))[:1]
    assert run(facility, source).created == 1  # positive control

    # when
    again = run(facility, source)

    # then
    assert (again.created, again.already_imported, again.invalid) == (0, 1, 0)
