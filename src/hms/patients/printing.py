"""Patient cards and wristband labels: PDFs with the MRN as a Code128 barcode.

Code128 is what front-desk and ward handheld scanners read out of the box, and it
packs the digits of an MRN densely, so the barcode fits a wristband.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import arabic_reshaper
from bidi import get_display
from django.db import transaction
from django.utils import timezone
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import InvalidInput
from hms.patients.errors import PatientErrorCode
from hms.patients.models import Patient, TimelineEntry
from hms.patients.policies import check_patient_permission
from hms.patients.services import add_timeline_entry

# Names come in every script. DejaVu (Debian's fonts-dejavu) covers Latin, Greek,
# Cyrillic, Arabic and Hebrew letters; ReportLab's own Vera covers Latin only.
# ReportLab draws characters in stored order, one glyph each: right-to-left names are
# first put in display order (python-bidi) and Arabic letters joined (arabic-reshaper).
MIN_BAR = 0.19 * mm  # 7.5 mil: the narrowest bar common scanners read reliably


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


@cache
def fonts() -> Fonts:
    regular = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    bold = regular.with_name("DejaVuSans-Bold.ttf")
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("HmsSans", str(regular)))
        pdfmetrics.registerFont(TTFont("HmsSans-Bold", str(bold)))
        return Fonts("HmsSans", "HmsSans-Bold")
    try:
        pdfmetrics.registerFont(TTFont("HmsSans", "Vera.ttf"))
        pdfmetrics.registerFont(TTFont("HmsSans-Bold", "VeraBd.ttf"))
    except Exception:  # noqa: BLE001 - no TrueType font at all: the PDF core fonts do
        return Fonts("Helvetica", "Helvetica-Bold")
    return Fonts("HmsSans", "HmsSans-Bold")


def visual(text: str) -> str:
    """`text` in the order and letter forms to draw it left to right."""
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        return text
    return get_display(arabic_reshaper.reshape(text))


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float, x: float, y: float):
    """Draw `text` at (x, y), shrunk to 70 % of `size` and then cut with an ellipsis to fit
    (cut at its logical end, which is the left for a right-to-left name)."""
    smallest = size * 0.7
    while size > smallest and pdfmetrics.stringWidth(visual(text), font, size) > width:
        size -= 0.5
    while len(text) > 1 and pdfmetrics.stringWidth(visual(text), font, size) > width:
        text = text[:-2] + "…"
    canvas.setFont(font, size)
    canvas.drawString(x, y, visual(text))


def _barcode(canvas: Canvas, value: str, x: float, y: float, width: float, height: float):
    """The MRN in Code128, as wide as it may be, never narrower than scanners read. The
    width includes the blank quiet zones (ten bars each side) scanners need."""
    bar = max(MIN_BAR, min(0.5 * mm, width / Code128(value, barWidth=1).width))
    code = Code128(value, barWidth=bar, barHeight=height)
    code.drawOn(canvas, x, y)


def _born(patient: Patient) -> str:
    if patient.birth_date is None:
        return "Birth date unknown"
    if patient.birth_date_estimated:
        return f"Born ~{patient.birth_date.year} (estimated)"
    return f"Born {patient.birth_date:%d %b %Y}"


def _name(patient: Patient) -> str:
    if patient.is_unknown:
        return f"{patient.full_name} (identity unknown)"
    return patient.full_name


def card_pdf(patient: Patient) -> bytes:
    """An ID-1 (credit card sized) patient card."""
    width, height = 85.6 * mm, 54 * mm
    margin = 4 * mm
    f = fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"Patient card {patient.mrn}")
    inner = width - 2 * margin
    _fit(canvas, patient.facility.name, f.bold, 8, inner, margin, height - margin - 6)
    _fit(canvas, _name(patient), f.bold, 12, inner, margin, height - margin - 20)
    canvas.setFont(f.regular, 9)
    canvas.drawString(margin, height - margin - 32, f"MRN {patient.mrn}")
    line = f"{_born(patient)} · {patient.get_sex_display()}"
    _fit(canvas, line, f.regular, 8, inner, margin, height - margin - 43)
    _barcode(canvas, patient.mrn, margin, margin, inner, 11 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def wristband_pdf(patient: Patient) -> bytes:
    """A 25 mm x 200 mm wristband label: identity on the left, the barcode on the right."""
    width, height = 200 * mm, 25 * mm
    margin = 3 * mm
    f = fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"Wristband {patient.mrn}")
    text_width = 105 * mm
    _fit(canvas, _name(patient), f.bold, 12, text_width, margin, height - margin - 14)
    canvas.setFont(f.regular, 9)
    canvas.drawString(margin, height - margin - 26, f"MRN {patient.mrn}")
    line = f"{_born(patient)} · {patient.get_sex_display()} · {patient.facility.name}"
    _fit(canvas, line, f.regular, 8, text_width, margin, height - margin - 37)
    left = margin + text_width + 4 * mm
    _barcode(canvas, patient.mrn, left, margin + 2, width - left - margin, height - 2 * margin - 4)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


DOCUMENTS = {"card": ("patient card", card_pdf), "wristband": ("wristband label", wristband_pdf)}


def print_patient_document(*, actor: Any, patient: Patient, document: str) -> bytes:
    """Render a patient's card or wristband label and return the PDF.

    Requires VIEW_PATIENT in the patient's facility (NotFound elsewhere). Only active
    records print: a merged record's MRN must not go on a new wristband (InvalidInput
    NOT_ACTIVE). Audits PRINT and puts "print" on the patient's timeline, in one
    transaction, so every printed identity is accounted for.
    """
    check_patient_permission(actor, Perm.VIEW_PATIENT, patient)
    if document not in DOCUMENTS:
        raise InvalidInput(f"Unknown document {document!r}.", field="document")
    if not patient.is_active:
        raise InvalidInput(
            "This record was merged or entered in error; print the surviving record.",
            code=PatientErrorCode.NOT_ACTIVE,
        )
    label, render = DOCUMENTS[document]
    pdf = render(patient)
    with transaction.atomic():
        add_timeline_entry(
            patient=patient,
            kind=TimelineEntry.Kind.PRINT,
            summary=f"Printed the {label}",
            actor=actor,
            occurred_at=timezone.now(),
            detail={"document": document},
        )
        record_event(
            action=Action.PRINT,
            actor=actor,
            obj=patient,
            patient_id=str(patient.external_id),
            reason=f"{label} printed",
        )
    return pdf
