"""Bulk import (hms.patients.importing) and `hms import patients`, on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from hms.audit.models import AuditEvent
from hms.core.errors import NotPermitted
from hms.core.models import Facility, NumberSequence
from hms.patients import mrn
from hms.patients.importing import SourceRow, import_patients
from hms.patients.inputs import ContactInput, IdentifierInput, PatientInput
from hms.patients.models import (
    DuplicateCandidate,
    Patient,
    PatientContact,
    PatientIdentifier,
    PatientNameKey,
    TimelineEntry,
)
from hms.patients.services import register_patient

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[4] / "docs" / "import"
BORN = dt.date(1980, 3, 4)


def person(n: int, **fields) -> PatientInput:
    fields.setdefault("given_name", f"Given{chr(65 + n % 26)}{n}")
    fields.setdefault("family_name", f"Family{n}")
    fields.setdefault("sex", "female")
    fields.setdefault("birth_date", BORN - dt.timedelta(days=n))
    return PatientInput(**fields)


def rows(count: int, start: int = 1, **fields) -> list[SourceRow]:
    return [SourceRow(n, f"test:{n}", person(n, **fields)) for n in range(start, start + count)]


def run(facility, source, **kwargs):
    kwargs.setdefault("skip_permission_checks", True)
    kwargs.setdefault("source", "test.csv")
    return import_patients(actor=None, facility=facility, rows=source, **kwargs)


def table_counts() -> dict[str, int]:
    models = [
        Patient,
        PatientIdentifier,
        PatientContact,
        PatientNameKey,
        TimelineEntry,
        DuplicateCandidate,
        AuditEvent,
        NumberSequence,
    ]
    counts = {m.__name__: m.objects.count() for m in models}
    counts["sequence values"] = sum(NumberSequence.objects.values_list("last_value", flat=True))
    return counts


# --- the service -----------------------------------------------------------------------


def test_imports_every_part_of_a_patient(facility):
    # given
    data = person(
        1,
        phone="0712 345678",
        email="A@Example.org",
        address={"city": "Nairobi"},
        identifiers=(IdentifierInput("national_id", "2345-6789"),),
        contacts=(ContactInput("Peter Kamau", "spouse", "0722 111222"),),
        consent_sms=True,
    )

    # when
    report = run(facility, [SourceRow(2, "legacy:A1", data)])

    # then
    assert (report.rows, report.created, report.invalid, report.stopped) == (1, 1, 0, False)
    patient = Patient.objects.get()
    assert mrn.is_valid(patient.mrn)
    assert (patient.phone, patient.email, patient.address) == (
        "+254712345678",
        "a@example.org",
        {"city": "Nairobi"},
    )
    assert patient.consent_sms is True
    assert sorted(patient.identifiers.values_list("system", "value")) == [
        ("external", "legacy:A1"),
        ("national_id", "2345-6789"),
    ]
    contact = patient.contacts.get()
    assert (contact.name, contact.phone) == ("Peter Kamau", "+254722111222")
    assert PatientNameKey.objects.filter(patient=patient).count() > 0
    entry = patient.timeline.get()
    assert entry.kind == TimelineEntry.Kind.REGISTERED
    assert entry.summary == f"Imported with MRN {patient.mrn} (test.csv rows 2-2)"
    assert entry.detail == {"import": "test.csv rows 2-2", "row": 2}


def test_stored_contact_details_are_encrypted(facility):
    # given
    data = person(1, phone="0712345678", identifiers=(IdentifierInput("passport", "AB123"),))

    # when
    run(facility, [SourceRow(1, "t:1", data)])

    # then
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM patients_patient")
        (phone,) = cursor.fetchone()
        cursor.execute("SELECT value FROM patients_patientidentifier WHERE system = 'passport'")
        (value,) = cursor.fetchone()
    assert phone.startswith("k")
    assert "712345678" not in phone
    assert "AB123" not in value


def test_one_audit_row_per_batch_naming_the_rows(facility):
    # when
    run(facility, rows(5, start=2), batch_size=2)

    # then
    events = AuditEvent.objects.order_by("id")
    assert [e.reason for e in events] == [
        "import test.csv rows 2-3",
        "import test.csv rows 4-5",
        "import test.csv rows 6-6",
    ]
    assert {e.action for e in events} == {"create"}
    assert Patient.objects.count() == 5
    assert TimelineEntry.objects.count() == 5


def test_mrns_come_in_blocks_from_the_facility_sequence(facility):
    # given: a clerk registered one patient first
    first = register_patient(
        actor=None, facility=facility, data=person(99), skip_permission_checks=True
    )

    # when
    run(facility, rows(3), batch_size=2)
    after = register_patient(
        actor=None, facility=facility, data=person(98), skip_permission_checks=True
    )

    # then
    serials = sorted(int(p.mrn[-9:-1]) for p in Patient.objects.all())
    assert serials == [1, 2, 3, 4, 5]
    assert (int(first.mrn[-9:-1]), int(after.mrn[-9:-1])) == (1, 5)


def test_a_rerun_skips_what_was_imported(facility):
    # given
    run(facility, rows(3))
    before = table_counts()

    # when
    report = run(facility, rows(4))

    # then
    assert (report.created, report.already_imported) == (1, 3)
    assert Patient.objects.count() == 4
    assert table_counts()["AuditEvent"] == before["AuditEvent"] + 1


def test_a_repeated_source_id_in_one_file_is_one_patient(facility):
    # when
    report = run(facility, [*rows(2), SourceRow(9, "test:1", person(1))])

    # then
    assert (report.created, report.already_imported) == (2, 1)


def test_source_ids_are_compared_exactly(facility):
    # given: the blind index folds case and dashes, the source's ids must not be
    run(facility, [SourceRow(1, "legacy:A-1", person(1))])

    # when
    report = run(facility, [SourceRow(1, "legacy:a1", person(2))])

    # then
    assert (report.created, report.already_imported) == (1, 0)


def test_bad_rows_stop_the_import_and_nothing_is_written(facility):
    # given
    before = table_counts()
    source = [
        *rows(2),
        SourceRow(3, "test:3", person(3, birth_date=dt.date(2999, 1, 1))),
        SourceRow(4, "test:4", person(4, phone="12345")),
        SourceRow(5, "test:5", person(5, given_name="x" * 500)),
    ]

    # when
    report = run(facility, source)

    # then
    assert report.stopped is True
    assert report.invalid == 3
    assert [(p.row, p.field) for p in report.problems] == [
        (3, "birth_date"),
        (4, "phone"),
        (5, "given_name"),
    ]
    assert report.problems[0].message == "The birth date is in the future."
    assert table_counts() == before


def test_accept_good_rows_imports_the_good_ones(facility):
    # given
    source = [*rows(2), SourceRow(3, "test:3", person(3, birth_date=dt.date(1870, 1, 1)))]

    # when
    report = run(facility, source, accept_good_rows=True)

    # then
    assert (report.created, report.invalid, report.stopped) == (2, 1, False)
    assert Patient.objects.count() == 2


def test_reader_problems_report_every_field_but_count_the_row_once(facility):
    # given
    from hms.patients.importing import Problem

    broken = SourceRow(7, "t:7", None, problems=(Problem(7, "a", "x"), Problem(7, "b", "y")))

    # when
    report = run(facility, [broken], accept_good_rows=True)

    # then
    assert report.invalid == 1
    assert [(p.field, p.message) for p in report.problems] == [("a", "x"), ("b", "y")]


def test_a_row_without_a_source_id_is_bad(facility):
    # when
    report = run(facility, [SourceRow(2, "", person(1))], accept_good_rows=True)

    # then
    assert (report.invalid, report.problems[0].field) == (1, "external_id")


def test_hostile_text_is_stored_as_text(facility):
    # given
    names = ["Robert'); DROP TABLE patients_patient;--", "مُحَمَّد", "Zoë\u0301"]
    source = [SourceRow(n, f"t:{n}", person(n, given_name=name)) for n, name in enumerate(names, 1)]

    # when
    report = run(facility, source)

    # then
    assert report.created == 3
    stored = set(Patient.objects.values_list("given_name", flat=True))
    assert "Robert'); DROP TABLE patients_patient;--" in stored
    assert len(stored) == 3


def test_dry_run_writes_nothing(facility):
    # given
    register_patient(actor=None, facility=facility, data=person(1), skip_permission_checks=True)
    before = table_counts()

    # when
    report = run(facility, [*rows(3, start=10), SourceRow(20, "t:20", person(1))], dry_run=True)

    # then
    assert (report.dry_run, report.created, report.duplicates) == (True, 4, 1)
    assert table_counts() == before


def test_likely_duplicates_go_on_the_worklist_without_stopping(facility):
    # given
    existing = register_patient(
        actor=None,
        facility=facility,
        data=person(1, given_name="Wanjiru", family_name="Kamau", phone="0712345678"),
        skip_permission_checks=True,
    )

    # when: a typo in the given name, same birth date and phone
    typo = person(1, given_name="Wnajiru", family_name="Kamau", phone="0712345678")
    report = run(facility, [SourceRow(2, "t:2", typo), *rows(1, start=50)])

    # then
    assert (report.created, report.duplicates) == (2, 1)
    imported = Patient.objects.get(given_name="Wnajiru")
    pair = DuplicateCandidate.objects.get()
    assert (pair.patient_id, pair.other_id) == (existing.pk, imported.pk)
    assert pair.patient_id < pair.other_id
    assert pair.score >= 0.75
    problem = next(p for p in report.problems if p.severity == "duplicate")
    assert problem.row == 2
    assert problem.message.startswith(f"Possible duplicate of MRN {existing.mrn}")


def test_a_different_national_id_counts_against_a_likely_duplicate(facility):
    # given: a record with the same name and birth date as the rows, and an ID number
    register_patient(
        actor=None,
        facility=facility,
        data=person(1, identifiers=(IdentifierInput("national_id", "11111111"),)),
        skip_permission_checks=True,
    )
    other = person(1, identifiers=(IdentifierInput("national_id", "22222222"),))

    # when
    different = run(facility, [SourceRow(2, "t:2", other)])
    unknown = run(facility, [SourceRow(3, "t:3", person(1))])

    # then: the row with another ID number is not likely the record; the row without
    # one is likely either of the two
    assert (different.created, different.duplicates) == (1, 0)
    assert (unknown.created, unknown.duplicates) == (1, 2)


def test_duplicates_inside_one_file_across_batches(facility):
    # given: the same person twice, names swapped, in different batches
    first = person(1, given_name="Otieno", family_name="Ochieng", sex="male")
    second = person(1, given_name="Ochieng", family_name="Otieno", sex="male")

    # when
    report = run(
        facility,
        [SourceRow(1, "t:1", first), *rows(2, start=5), SourceRow(9, "t:9", second)],
        batch_size=2,
    )

    # then
    assert report.duplicates == 1
    pair = DuplicateCandidate.objects.get()
    assert {pair.patient.given_name, pair.other.given_name} == {"Otieno", "Ochieng"}
    assert "given and family names swapped" in pair.reasons


def test_requires_the_import_permission(facility, make_user):
    # given
    clerk = make_user("receptionist")

    # when / then
    with pytest.raises(NotPermitted):
        import_patients(actor=clerk, facility=facility, rows=rows(1), source="x")
    assert Patient.objects.count() == 0


def test_a_records_officer_imports_and_is_named_in_the_audit(facility, make_user):
    # given
    officer = make_user("ward_manager")

    # when
    import_patients(actor=officer, facility=facility, rows=rows(2), source="x.csv")

    # then
    event = AuditEvent.objects.get(reason__startswith="import")
    assert (event.actor_id, event.reason) == (officer.pk, "import x.csv rows 1-2")
    assert set(TimelineEntry.objects.values_list("actor_id", flat=True)) == {officer.pk}


def test_rows_are_read_a_batch_at_a_time(facility):
    # given: a source that records how far ahead of the database it was read
    ahead = []

    def source():
        for row in rows(25):
            ahead.append(row.number - Patient.objects.count())
            yield row

    # when
    run(facility, source(), accept_good_rows=True, batch_size=10)

    # then
    assert Patient.objects.count() == 25
    assert max(ahead) <= 10


# --- hms import patients ------------------------------------------------------------------


@pytest.fixture
def example(tmp_path) -> Path:
    shutil.copy(DOCS / "example-patients.csv", tmp_path / "patients.csv")
    return tmp_path / "patients.csv"


def import_file(path: Path, *args: str, mapping: Path = DOCS / "example-mapping.yaml"):
    call_command("import", "patients", str(path), "--mapping", str(mapping), *args)


def report_lines(path: Path) -> list[list[str]]:
    with path.with_name(f"{path.stem}.report.csv").open(newline="") as handle:
        return list(csv.reader(handle))


def test_command_refuses_a_file_with_bad_rows_and_writes_the_report(facility, example):
    # given
    before = table_counts()

    # when
    with pytest.raises(CommandError, match="2 bad row"):
        import_file(example)

    # then
    assert report_lines(example) == [
        ["row", "field", "problem", "severity"],
        ["7", "birth_date", "'31/02/1999' is not a date in the format %d/%m/%Y.", "error"],
        ["8", "phone", "'12345' is not a valid phone number for its country.", "error"],
    ]
    assert table_counts() == before


def test_command_imports_the_good_rows_when_asked(facility, example, capsys):
    # when
    import_file(example, "--accept-good-rows")

    # then
    out = capsys.readouterr().out
    assert "5 patient(s) imported." in out
    assert "2 bad row(s) skipped." in out
    wanjiru = Patient.objects.get(given_name="Wanjiru")
    assert (wanjiru.family_name, wanjiru.sex, wanjiru.birth_date) == (
        "Kamau",
        "female",
        dt.date(1980, 3, 4),
    )
    assert wanjiru.marital_status == "M"
    assert wanjiru.address == {
        "line": "12 Moi Avenue",
        "city": "Nairobi",
        "district": "Nairobi",
        "country": "KE",
    }
    assert sorted(wanjiru.identifiers.values_list("system", "value", "assigner")) == [
        ("external", "legacy-his:P-1001", ""),
        ("insurance_member", "NHIF-55501", "NHIF"),
        ("national_id", "23456789", ""),
    ]
    assert wanjiru.contacts.get().relationship == "spouse"
    amina = Patient.objects.get(given_name="Amina")
    assert (amina.birth_date_estimated, amina.birth_date.month) == (True, 7)
    grace = Patient.objects.get(given_name="Grace")
    assert grace.is_deceased is True
    assert grace.deceased_at.date() == dt.date(2024, 2, 1)
    jose = Patient.objects.get(family_name="García")
    assert (jose.given_name, jose.middle_name, jose.phone) == ("José", "María", "+34612345678")

    # when: run again
    import_file(example, "--accept-good-rows")

    # then
    assert "5 row(s) were imported before: skipped." in capsys.readouterr().out
    assert Patient.objects.count() == 5


def test_command_dry_run_writes_nothing(facility, example, capsys):
    # given
    good = example.with_name("good.csv")
    with example.open() as src, good.open("w") as dst:
        dst.writelines(line for n, line in enumerate(src, 1) if n not in (7, 8))
    before = table_counts()

    # when
    import_file(good, "--dry-run")

    # then
    assert "5 patient(s) would be imported (dry run: nothing was written)." in (
        capsys.readouterr().out
    )
    assert table_counts() == before


def test_command_reads_xlsx(facility, tmp_path):
    # given
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Id", "First", "Last", "Gender", "Born", "IdNo"])
    sheet.append([1001, "Achieng", "Otieno", "F", dt.datetime(1975, 6, 1), 12345678.0])  # noqa: DTZ001
    sheet.append([1002, "Kiprop", "Rotich", "M", dt.datetime(1990, 1, 2), None])  # noqa: DTZ001
    path = tmp_path / "patients.xlsx"
    book.save(path)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "external_id: Id\nnamespace: xl\ncolumns:\n  given_name: First\n  family_name: Last\n"
        "  sex: Gender\n  birth_date: Born\nvalues:\n  sex: {F: female, M: male}\n"
        "identifiers:\n  - {column: IdNo, system: national_id}\n"
    )

    # when
    import_file(path, mapping=mapping)

    # then
    achieng = Patient.objects.get(given_name="Achieng")
    assert achieng.birth_date == dt.date(1975, 6, 1)
    assert sorted(achieng.identifiers.values_list("system", "value")) == [
        ("external", "xl:1001"),
        ("national_id", "12345678"),
    ]
    assert Patient.objects.count() == 2


def test_command_reports_broken_csv_rows_by_row(facility, tmp_path):
    # given
    path = tmp_path / "broken.csv"
    path.write_text("Id,First,Last,Gender\n1,Amina,Hassan,F\n2,Baraka,Mwangi\n3,Juma,Ali,M,extra\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "external_id: Id\ncolumns: {given_name: First, family_name: Last, sex: Gender}\n"
        "values: {sex: {F: female, M: male}}\n"
    )

    # when
    with pytest.raises(CommandError):
        import_file(path, mapping=mapping)

    # then
    assert [line[:2] for line in report_lines(path)[1:]] == [["3", "row"], ["4", "row"]]
    assert Patient.objects.count() == 0


def test_command_names_columns_the_file_lacks(facility, example, tmp_path):
    # given
    mapping = tmp_path / "map.yaml"
    mapping.write_text("external_id: PatientNo\ncolumns: {given_name: Nope}\n")

    # when / then
    with pytest.raises(CommandError, match="has no column Nope"):
        import_file(example, mapping=mapping)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {given_name: A}\n", "external_id"),
        ("external_id: A\ncolumns: {shoe_size: B}\n", "not a patient field"),
        ("external_id: A\ncolumns: {family_name: B}\n", "given_name is required"),
        ("- just a list\n", "must be a YAML mapping"),
    ],
)
def test_command_explains_a_wrong_mapping(facility, example, tmp_path, text, message):
    # given
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text)

    # when / then
    with pytest.raises(CommandError, match=message):
        import_file(example, mapping=mapping)


# --- concurrency (PostgreSQL: real row locks, real threads) ---------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQLite test database is in memory and shared-cache: a second writer fails "
    "at once instead of waiting, so threads cannot race on it",
)


def _race(workers: int, work) -> list[BaseException]:
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def target(n: int) -> None:
        try:
            start.wait(timeout=30)
            work(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_clerks_registering_at_once_never_share_an_mrn():
    # given
    facility = Facility.objects.create(name="Riverside", code="RGH")

    def register(n: int) -> None:
        for i in range(5):
            register_patient(
                actor=None,
                facility=facility,
                data=person(n * 10 + i),
                skip_permission_checks=True,
                check_duplicates=False,
            )

    # when
    errors = _race(8, register)

    # then
    assert errors == []
    serials = sorted(int(m[-9:-1]) for m in Patient.objects.values_list("mrn", flat=True))
    assert serials == list(range(1, 41))


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_duplicates_across_batches_the_writer_thread_has_not_committed():
    # given: the same person in the first and in the third batch
    facility = Facility.objects.create(name="Riverside", code="RGH")
    first = person(1, given_name="Otieno", family_name="Ochieng", sex="male")
    again = person(1, given_name="Otieno", family_name="Ochieng", sex="male")
    source = [SourceRow(1, "t:1", first), *rows(3, start=5), SourceRow(9, "t:9", again)]

    # when
    report = run(facility, source, batch_size=2)

    # then
    assert (report.created, report.duplicates) == (5, 1)
    pair = DuplicateCandidate.objects.get()
    assert {pair.patient.given_name, pair.other.given_name} == {"Otieno"}


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_never_collide_on_mrns():
    # given
    facility = Facility.objects.create(name="Riverside", code="RGH")
    sources = [rows(150, start=1), rows(150, start=1001)]

    def load(n: int) -> None:
        run(facility, sources[n], batch_size=20)
        if n == 0:
            register_patient(
                actor=None,
                facility=facility,
                data=person(5000),
                skip_permission_checks=True,
                check_duplicates=False,
            )

    # when
    errors = _race(2, load)

    # then
    assert errors == []
    mrns = list(Patient.objects.values_list("mrn", flat=True))
    assert len(mrns) == len(set(mrns)) == 301
    assert sorted(int(m[-9:-1]) for m in mrns) == list(range(1, 302))
    assert AuditEvent.objects.filter(reason__startswith="import").count() == 16
