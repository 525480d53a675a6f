"""GET /fhir/R4/ChargeItem and /fhir/R4/Invoice: the facility's charges and invoices,
made through the billing services, read and searched as validated R4 resources; each
one shown is an audited read of its patient's data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.invoice import Invoice as FhirInvoice

from hms.billing import services
from hms.billing.services import corrections
from hms.billing.tests import conftest as billing_fixtures
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.interop.fhir.tests.billing_data import ids, read, reads_of
from hms.interop.fhir.tests.helpers import bearer_client
from hms.patients.testing import registered

# The billing tests' tariff, staff and patient, made through the billing services.
tariff, supervisor, clerk, patient = (
    billing_fixtures.tariff,
    billing_fixtures.supervisor,
    billing_fixtures.clerk,
    billing_fixtures.patient,
)

CHARGES, INVOICES = "/fhir/R4/ChargeItem", "/fhir/R4/Invoice"


@pytest.fixture
def invoice(tariff, clerk, patient):
    """Juma's final invoice: a consultation and two blood counts on 2 March 2026."""
    return final_invoice_for(clerk, patient)


@pytest.fixture
def reader(clerk):
    return bearer_client(clerk)


def _charges(invoice):
    return [line.charge for line in invoice.lines.order_by("position")]


@pytest.mark.django_db
def test_a_billed_charge_reads_as_a_charge_item(reader, invoice, patient, facility):
    # given
    consultation = _charges(invoice)[0]

    # when
    raw = read(reader, f"{CHARGES}/{consultation.external_id}")

    # then
    item = ChargeItem.model_validate(raw)
    assert item.status == "billed"
    assert [(c.system, c.code, c.display) for c in item.code.coding] == [
        ("urn:hms:billable-item", "CONS", "Consultation")
    ]
    assert item.subject.reference == f"Patient/{patient.external_id}"
    assert raw["occurrenceDateTime"] == "2026-03-02"
    assert raw["quantity"] == {"value": 1}
    assert item.performingOrganization.reference == f"Organization/{facility.external_id}"
    assert item.identifier[0].value == consultation.source
    assert item.priceOverride is None
    assert reads_of(patient, "FHIR read ChargeItem") == 1


@pytest.mark.django_db
def test_a_price_set_by_hand_is_the_price_override(reader, tariff, supervisor, patient):
    # given: the administrator may override the tariff
    charge = services.capture_charge(
        actor=supervisor,
        patient=patient,
        item_code="CONS",
        source="manual:1",
        quantity=Decimal(2),
        unit_price=Decimal("750.00"),
        service_date=dt.date(2026, 3, 3),
        note="Agreed with the family",
    )

    # when
    raw = read(reader, f"{CHARGES}/{charge.external_id}")

    # then
    assert raw["status"] == "billable"
    assert raw["quantity"] == {"value": 2}
    assert raw["priceOverride"] == {"value": 1500.0, "currency": "KES"}
    assert raw["overrideReason"] == "Agreed with the family"


@pytest.mark.django_db
def test_a_voided_charge_is_entered_in_error_with_its_reason(reader, tariff, supervisor, patient):
    # given
    charge = services.capture_charge(
        actor=supervisor, patient=patient, item_code="FBC", source="lab:9"
    )
    services.void_charge(actor=supervisor, charge=charge, reason="Test not done")

    # when
    raw = read(reader, f"{CHARGES}/{charge.external_id}")

    # then
    assert raw["status"] == "entered-in-error"
    assert raw["note"] == [{"text": "Test not done"}]


@pytest.mark.django_db
def test_charge_items_are_searched_by_patient_status_code_and_dates(
    reader, invoice, tariff, supervisor, patient, facility
):
    # given: an unbilled blood count on 5 March besides the three billed on 2 March
    billed = [str(c.external_id) for c in _charges(invoice)]
    later = services.capture_charge(
        actor=supervisor,
        patient=patient,
        item_code="FBC",
        source="lab:10",
        service_date=dt.date(2026, 3, 5),
    )
    who = f"patient={patient.external_id}"

    # when / then
    assert sorted(ids(read(reader, f"{CHARGES}?{who}"))) == sorted(
        [*billed, str(later.external_id)]
    )
    assert ids(read(reader, f"{CHARGES}?{who}&status=billable")) == [str(later.external_id)]
    assert sorted(ids(read(reader, f"{CHARGES}?subject=Patient/{patient.external_id}"))) == sorted(
        [*billed, str(later.external_id)]
    )
    assert len(ids(read(reader, f"{CHARGES}?code=urn:hms:billable-item|FBC"))) == 3
    assert ids(read(reader, f"{CHARGES}?occurrence=2026-03-05")) == [str(later.external_id)]
    assert sorted(ids(read(reader, f"{CHARGES}?occurrence=le2026-03-02"))) == sorted(billed)
    assert ids(read(reader, f"{CHARGES}?occurrence=gt2026-03-02")) == [str(later.external_id)]
    assert len(ids(read(reader, f"{CHARGES}?entered-date=ge2026-01-01"))) == 4
    assert ids(read(reader, f"{CHARGES}?entered-date=lt2026-01-01")) == []
    assert reads_of(patient, "FHIR search ChargeItem") == 4 + 1 + 4 + 3 + 1 + 3 + 1 + 4


@pytest.mark.django_db
def test_a_final_invoice_reads_with_its_lines_and_totals(reader, invoice, patient, facility):
    # when
    raw = read(reader, f"{INVOICES}/{invoice.external_id}")

    # then
    fhir = FhirInvoice.model_validate(raw)
    assert fhir.status == "issued"
    assert [(i.system, i.value) for i in fhir.identifier] == [
        ("urn:hms:invoice-number", invoice.number)
    ]
    assert fhir.subject.reference == f"Patient/{patient.external_id}"
    assert fhir.issuer.reference == f"Organization/{facility.external_id}"
    consultation, blood_count, _ = _charges(invoice)
    assert raw["lineItem"][0] == {
        "sequence": 1,
        "chargeItemReference": {
            "reference": f"ChargeItem/{consultation.external_id}",
            "display": "Consultation",
        },
        "priceComponent": [
            {"type": "base", "factor": 1, "amount": {"value": 1000.0, "currency": "KES"}}
        ],
    }
    assert raw["lineItem"][1]["chargeItemReference"]["reference"] == (
        f"ChargeItem/{blood_count.external_id}"
    )
    assert raw["lineItem"][1]["priceComponent"] == [
        {"type": "base", "factor": 1, "amount": {"value": 800.0, "currency": "KES"}},
        {"type": "tax", "factor": 0.16, "amount": {"value": 128.0, "currency": "KES"}},
    ]
    assert raw["totalNet"] == {"value": 2600.0, "currency": "KES"}
    assert raw["totalGross"] == {"value": 2856.0, "currency": "KES"}
    assert reads_of(patient, "FHIR read Invoice") == 1


@pytest.mark.django_db
def test_a_discount_is_a_price_component_and_its_reason_a_note(
    reader, tariff, supervisor, clerk, patient
):
    # given: a 10 % discount on a consultation, approved by the administrator
    services.capture_charge(actor=clerk, patient=patient, item_code="CONS", source="opd:1")
    draft = services.draft_invoice(actor=clerk, patient=patient)
    services.apply_discount(actor=supervisor, invoice=draft, percent="10", reason="Staff relative")

    # when
    raw = read(reader, f"{INVOICES}/{draft.external_id}")

    # then: a draft has no number yet
    assert raw["status"] == "draft"
    assert "identifier" not in raw
    assert raw["lineItem"][0]["priceComponent"][1] == {
        "type": "discount",
        "amount": {"value": 100.0, "currency": "KES"},
    }
    assert raw["totalGross"] == {"value": 900.0, "currency": "KES"}
    assert raw["note"] == [{"text": "Discount: Staff relative"}]


@pytest.mark.django_db
def test_paid_and_void_invoices_are_balanced_and_cancelled(reader, tariff, supervisor, patient):
    # given
    paid = final_invoice_for(supervisor, patient, blood_counts=0)
    services.take_payment(
        actor=supervisor, invoice=paid, amount="1000", method="bank_transfer", reference="BT-1"
    )
    void = final_invoice_for(supervisor, patient, blood_counts=0)
    corrections.void_invoice(actor=supervisor, invoice=void, reason="Wrong patient")

    # when
    balanced = read(reader, f"{INVOICES}/{paid.external_id}")
    cancelled = read(reader, f"{INVOICES}/{void.external_id}")

    # then
    assert balanced["status"] == "balanced"
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelledReason"] == "Wrong patient"
    assert ids(read(reader, f"{INVOICES}?status=balanced")) == [str(paid.external_id)]
    assert ids(read(reader, f"{INVOICES}?status=cancelled")) == [str(void.external_id)]
    assert ids(read(reader, f"{INVOICES}?status=entered-in-error")) == []


@pytest.mark.django_db
def test_invoices_are_searched_by_patient_identifier_and_date(
    reader, invoice, facility, supervisor, patient
):
    # given: another patient's invoice
    other = final_invoice_for(supervisor, registered(facility, given_name="Baraka"))
    mine = str(invoice.external_id)

    # when / then
    assert ids(read(reader, f"{INVOICES}?patient={patient.external_id}")) == [mine]
    assert ids(read(reader, f"{INVOICES}?identifier={invoice.number}")) == [mine]
    assert ids(read(reader, f"{INVOICES}?identifier=urn:hms:invoice-number|{other.number}")) == [
        str(other.external_id)
    ]
    assert ids(read(reader, f"{INVOICES}?identifier=urn:other|{invoice.number}")) == []
    assert len(ids(read(reader, f"{INVOICES}?date=ge2026-01-01&status=issued"))) == 2
    assert ids(read(reader, f"{INVOICES}?date=lt2026-01-01")) == []


@pytest.mark.django_db
def test_a_search_page_costs_the_same_queries_however_many_rows(
    reader, tariff, supervisor, patient
):
    # given
    final_invoice_for(supervisor, patient)

    def cost() -> tuple[int, int]:
        counts = []
        for url in (INVOICES, CHARGES):
            with CaptureQueriesContext(connection) as queries:
                read(reader, url)
            counts.append(len(queries))
        return counts[0], counts[1]

    cost()  # the first request also notes the token's use
    one = cost()

    # when: two more invoices, six more charges
    final_invoice_for(supervisor, patient)
    final_invoice_for(supervisor, patient)

    # then
    assert cost() == one
