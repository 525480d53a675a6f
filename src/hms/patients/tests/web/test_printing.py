"""Patient card and wristband PDFs: printed, audited, on the timeline."""

from __future__ import annotations

import pytest

from hms.audit.models import AuditEvent
from hms.patients import printing
from hms.patients.models import Patient, TimelineEntry
from hms.patients.tests.web.conftest import page


@pytest.mark.parametrize(
    ("name", "document"), [("patient-card", "card"), ("patient-wristband", "wristband")]
)
def test_printing_answers_a_pdf_and_leaves_an_audit_row_and_a_timeline_entry(
    clerk, register, name, document
):
    # given
    patient = register()

    # when
    response = clerk.post(page(name, patient))

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{document}-{patient.mrn}.pdf"'
    assert response.content.startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="print")
    assert event.patient_id == str(patient.external_id)
    entry = TimelineEntry.objects.get(patient=patient, kind="print")
    assert entry.detail == {"document": document}


def test_printing_is_a_post(clerk, register):
    patient = register()

    assert clerk.get(page("patient-card", patient)).status_code == 405
    assert not AuditEvent.objects.filter(action="print").exists()


def test_a_merged_record_does_not_print(clerk, register):
    # given
    survivor, merged = register(), register(given_name="Juma2")
    Patient.objects.filter(pk=merged.pk).update(status="merged", merged_into=survivor)

    # when
    response = clerk.post(page("patient-wristband", merged))

    # then
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="print").exists()
    assert not TimelineEntry.objects.filter(kind="print").exists()


def test_roles_without_view_patient_cannot_print(client_for, register):
    patient = register()

    assert client_for("auditor").post(page("patient-card", patient)).status_code == 403
    assert not TimelineEntry.objects.filter(kind="print").exists()


@pytest.mark.parametrize(
    "name", ["Bartholomew Alexander Montgomery-Featherstonehaugh " * 4, "مريم", "Nguyễn Thị"]
)
def test_long_and_non_latin_names_render(register, name):
    patient = register(given_name=name.strip()[:100])

    assert printing.card_pdf(patient).startswith(b"%PDF-")
    assert printing.wristband_pdf(patient).startswith(b"%PDF-")


def test_right_to_left_names_are_drawn_in_reading_order_with_joined_letters():
    # Arabic: letters take their joined forms (presentation forms), then the line is
    # put in display order, so the name's first letter is drawn rightmost.
    drawn = printing.visual("مريم")
    assert drawn[-1] == "\ufee3"  # meem, initial form, at the right
    assert all("\ufe70" <= c <= "\ufeff" for c in drawn)
    # Hebrew has no joining: only the order changes; digits and Latin stay left to right.
    assert printing.visual("שרה כהן") == "ןהכ הרש"
    assert printing.visual("Sarah 12") == "Sarah 12"
    assert printing.visual("MRN 12 שרה") == "MRN 12 הרש"
