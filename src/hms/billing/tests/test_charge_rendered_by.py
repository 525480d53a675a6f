"""A charge carries the department and practitioner of its source, captured when it is
charged: a visit's, or those chosen for a manual charge; revenue is reported by them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hms.accounts.testing import verified_session
from hms.billing import services
from hms.billing.models import Charge
from hms.billing.reports.selectors import revenue_by_department
from hms.core.errors import InvalidInput
from hms.core.models import Department
from hms.encounters.models import Encounter
from hms.staff.inputs import PractitionerInput
from hms.staff.services import add_practitioner

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


def doctor_at(facility, admin, given: str, department: str = ""):
    data = PractitionerInput(
        title="Dr", given_name=given, family_name="Otieno", department=department
    )
    return add_practitioner(actor=admin, facility=facility, data=data)


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def paeds(facility):
    return Department.objects.create(
        facility=facility, code="PAED", name="Paediatrics", kind=Department.Kind.OUTPATIENT
    )


def test_a_charge_from_a_visit_carries_its_department_and_doctor(
    facility, tariff, clerk, admin, patient, paeds
):
    amina, baraka = doctor_at(facility, admin, "Amina"), doctor_at(facility, admin, "Baraka")
    visit = Encounter.objects.create(
        facility=facility,
        patient=patient,
        department=paeds,
        practitioner=amina,
        arrived_at=dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC),
    )

    charge = services.capture_charge(
        actor=clerk, patient=patient, encounter=visit, item_code="FBC", source="v:1",
        service_date=DAY,
    )  # fmt: skip
    # The visit passing to another doctor later does not move revenue already charged.
    Encounter.objects.filter(pk=visit.pk).update(practitioner=baraka)
    charge.refresh_from_db()

    assert (charge.department, charge.practitioner) == (paeds, amina)


def test_a_manual_charge_carries_the_chosen_ones_and_revenue_groups_by_them(
    facility, tariff, clerk, admin, patient, paeds
):
    amina = doctor_at(facility, admin, "Amina", department="OPD")
    opd = facility.departments.get(code="OPD")
    services.capture_charge(
        actor=clerk, patient=patient, item_code="CONS", source="m:1", service_date=DAY,
        practitioner=amina,
    )  # fmt: skip
    services.capture_charge(
        actor=clerk, patient=patient, item_code="FBC", source="m:2", service_date=DAY,
        department=paeds,
    )  # fmt: skip
    invoice = services.draft_invoice(actor=clerk, patient=patient)
    services.finalise_invoice(actor=clerk, invoice=invoice)

    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(facility.timezone))
    report = revenue_by_department(viewer=clerk, facility=facility, date_from=today, date_to=today)

    by_department = {r["department"]: r["billed"] for r in report.table("departments").rows}
    by_doctor = {r["doctor"]: r["billed"] for r in report.table("doctors").rows}
    assert Charge.objects.get(source="m:1").department == opd  # the doctor's department
    assert by_department == {"Outpatients": Decimal("1000.00"), "Paediatrics": Decimal("928.00")}
    assert by_doctor == {"Dr Amina Otieno": Decimal("1000.00"), "No doctor": Decimal("928.00")}


def test_another_facilitys_department_is_refused_and_nothing_is_charged(
    facility, other_facility, tariff, clerk, patient
):
    elsewhere = Department.objects.create(
        facility=other_facility, code="OPD", name="Outpatients", kind=Department.Kind.OUTPATIENT
    )

    with pytest.raises(InvalidInput) as refused:
        services.capture_charge(
            actor=clerk, patient=patient, item_code="FBC", source="x:1", department=elsewhere
        )

    assert refused.value.field == "department"
    assert not Charge.objects.exists()


def test_the_account_page_charges_to_the_doctor_chosen(facility, tariff, clerk, admin, patient):
    amina = doctor_at(facility, admin, "Amina")
    client = verified_session(Client(), clerk)
    url = reverse("billing:add-charge", args=[patient.external_id])

    response = client.post(
        url,
        {"item": "FBC", "quantity": "1", "key": "6c1f1a52-3c55-4f7e-9d8a-2a4a1e2f0b11",
         "practitioner": amina.pk},
    )  # fmt: skip

    assert response.status_code == 302
    assert Charge.objects.get().practitioner == amina


def test_rest_and_fhir_name_who_rendered_a_charge_and_where(
    facility, tariff, clerk, admin, patient, paeds, api_client_for
):
    amina = doctor_at(facility, admin, "Amina")
    chosen = services.capture_charge(
        actor=clerk, patient=patient, item_code="CONS", source="m:1", service_date=DAY,
        practitioner=amina, department=paeds,
    )  # fmt: skip
    plain = services.capture_charge(
        actor=clerk, patient=patient, item_code="FBC", source="m:2", service_date=DAY
    )
    plain.refresh_from_db()
    api = api_client_for("billing_clerk")

    rest = api.get("/api/v1/billing/charges/", {"patient": str(patient.external_id)})
    fhir = api.get(f"/fhir/R4/ChargeItem/{chosen.external_id}")

    assert rest.status_code == 200
    by_source = {row["source"]: row for row in rest.json()}
    assert (by_source["m:1"]["practitioner"], by_source["m:1"]["department"]) == (
        str(amina.external_id),
        "PAED",
    )
    assert by_source["m:2"]["practitioner"] == (
        str(plain.practitioner.external_id) if plain.practitioner else None
    )
    assert fhir.status_code == 200
    item = fhir.json()
    assert item["performer"] == [
        {"actor": {"reference": f"Practitioner/{amina.external_id}", "display": "Dr Amina Otieno"}}
    ]
    assert item["costCenter"] == {
        "identifier": {"system": "urn:hms:department", "value": "PAED"},
        "display": "Paediatrics",
    }
