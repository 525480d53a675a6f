"""The demo hospital's money: a tariff, two payers with plans, and the last month of
charges, invoices and payments, made through the billing services.

The services stamp what they write with the present moment; the month is then moved
back to the days it happened on (finalised, received, opened), so the reports show a
month. The claims of the month are in demo_claims.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hms.accounts.models import User
from hms.billing import services
from hms.billing.models import BillableItem, Invoice, Payment, PriceList, Shift
from hms.billing.services import insurance
from hms.core.models import Department, Facility
from hms.patients.models import Patient
from hms.scheduling.times import zone_of
from hms.staff.models import Practitioner, Specialty
from hms.web.demo_clinics import add_specialties, demo_doctors

# code, name, kind, department, specialty, cash price, tax %
ITEMS = [
    ("CONS", "Consultation", "consultation", "OPD", None, 1500, 0),
    ("CONS-GP", "General practice consultation", "consultation", "OPD", "GP", 1500, 0),
    ("CONS-MED", "Physician consultation", "consultation", "OPD", "MED", 2500, 0),
    ("CONS-PAED", "Paediatric consultation", "consultation", "PAED", "PAED", 2000, 0),
    ("CONS-OBS", "Antenatal consultation", "consultation", "ANC", "OBS", 2000, 0),
    ("LAB-FBC", "Full blood count", "lab", "LAB", None, 800, 0),
    ("LAB-MRDT", "Malaria rapid test", "lab", "LAB", None, 400, 0),
    ("LAB-HBA1C", "HbA1c", "lab", "LAB", None, 2200, 0),
    ("LAB-UA", "Urinalysis", "lab", "LAB", None, 500, 0),
    ("IMG-CXR", "Chest X-ray", "imaging", "XRAY", None, 3000, 0),
    ("IMG-USS", "Obstetric ultrasound", "imaging", "XRAY", None, 3500, 0),
    ("PROC-DRESS", "Wound dressing", "procedure", "OPD", None, 600, 0),
    ("PROC-NVD", "Normal delivery", "procedure", "MAT", None, 15000, 0),
    ("BED-GEN", "General ward bed-day", "bed_day", "MED", None, 3500, 0),
    ("DRG-AMOX", "Amoxicillin 500 mg, 15 capsules", "drug", "PHARM", None, 450, 0),
    ("DRG-AL", "Artemether-lumefantrine, 24 tablets", "drug", "PHARM", None, 350, 0),
    ("DRG-PCM", "Paracetamol 500 mg, 20 tablets", "drug", "PHARM", None, 120, 0),
    ("DRG-MET", "Metformin 500 mg, 60 tablets", "drug", "PHARM", None, 600, 0),
    ("CON-GLOVE", "Examination gloves, pair", "consumable", "STORE", None, 50, 16),
    ("PKG-NVD", "Normal delivery package", "package", "MAT", None, 25000, 0),
]
DELIVERY_PACKAGE = [("PROC-NVD", 1), ("BED-GEN", 2), ("LAB-FBC", 1), ("DRG-PCM", None)]

# What a visit of each kind is charged for besides the consultation.
VISITS = [
    ("CONS-GP", "J06.9", ["DRG-AMOX", "DRG-PCM"]),
    ("CONS-GP", "B54", ["LAB-MRDT", "DRG-AL", "DRG-PCM"]),
    ("CONS-MED", "E11.9", ["LAB-HBA1C", "DRG-MET"]),
    ("CONS-MED", "J18.9", ["LAB-FBC", "IMG-CXR", "DRG-AMOX"]),
    ("CONS-PAED", "A09", ["LAB-FBC", "DRG-PCM"]),
    ("CONS-OBS", "Z34.9", ["LAB-UA", "IMG-USS"]),
    ("CONS-GP", "T14.1", ["PROC-DRESS", "CON-GLOVE"]),
]
CONSULTED = {code: specialty for code, _, _, _, specialty, _, _ in ITEMS if specialty}
DAYS = 30
VISITS_PER_DAY = 3
# Older bills still unpaid, for the receivables aging: days ago.
OLD_DEBTS = [40, 52, 67, 85, 110, 150]
# Payer lists price a little below cash; the staff list at cost.
LISTS = [("CASH", "Cash", "self_pay", 1), ("SHA", "SHA tariff", "payer", Decimal("0.8"))]
LISTS += [("AAR", "AAR tariff", "payer", Decimal("0.9")), ("STAFF", "Staff", "staff", 0.5)]


def load_demo_tariff(hospital: Facility, admin: User) -> None:
    """The catalogue and its price lists, priced from half a year ago."""
    add_specialties(admin)
    since = timezone.localdate(timezone=zone_of(hospital)) - dt.timedelta(days=180)
    lists = {
        code: services.add_price_list(
            actor=admin, facility=hospital, code=code, name=name, kind=kind
        )
        for code, name, kind, _ in LISTS
    }
    for code, name, kind, dept, specialty, price, tax in ITEMS:
        item = services.add_billable_item(
            actor=admin,
            facility=hospital,
            code=code,
            name=name,
            kind=kind,
            department=Department.objects.get(facility=hospital, code=dept),
            specialty=Specialty.objects.filter(code=specialty).first() if specialty else None,
        )
        for list_code, _, _, factor in LISTS:
            services.set_price(
                actor=admin,
                item=item,
                price_list=lists[list_code],
                amount=(Decimal(price) * Decimal(str(factor))).quantize(Decimal(1)),
                tax_rate=Decimal(tax),
                valid_from=since,
            )
    services.define_package(
        actor=admin, facility=hospital, item_code="PKG-NVD", components=DELIVERY_PACKAGE
    )


def load_demo_payers(hospital: Facility, admin: User, patients: list[Patient]) -> None:
    """A government scheme and a private insurer, and cover for a third of the patients."""
    sha = insurance.add_payer(
        actor=admin,
        facility=hospital,
        code="SHA",
        name="Social Health Authority",
        kind="government",
        x12_payer_id="SHA001",
    )
    aar = insurance.add_payer(
        actor=admin,
        facility=hospital,
        code="AAR",
        name="AAR Insurance Kenya",
        kind="insurer",
        x12_payer_id="AAR001",
    )
    imaging = list(BillableItem.objects.filter(facility=hospital, kind="imaging"))
    plans = [
        insurance.add_plan(
            actor=admin,
            payer=sha,
            code="SHA-STD",
            name="SHA standard",
            price_list=_list(hospital, "SHA"),
        ),
        insurance.add_plan(
            actor=admin,
            payer=aar,
            code="AAR-GOLD",
            name="AAR Gold",
            copay="500",
            coinsurance_percent="10",
            deductible="2000",
            price_list=_list(hospital, "AAR"),
            preauth_items=imaging,
        ),
        insurance.add_plan(
            actor=admin,
            payer=aar,
            code="AAR-SILVER",
            name="AAR Silver",
            copay="1000",
            coinsurance_percent="20",
            price_list=_list(hospital, "AAR"),
        ),
    ]
    since = timezone.localdate(timezone=zone_of(hospital)) - dt.timedelta(days=365)
    for number, patient in enumerate(patients[::3]):
        plan = plans[number % 3]
        insurance.add_coverage(
            actor=admin,
            patient=patient,
            plan=plan,
            member_id=f"{plan.payer.code}-{40000 + number * 7:06d}",
            valid_from=since,
        )


def _list(hospital: Facility, code: str) -> PriceList:
    return PriceList.objects.get(facility=hospital, code=code)


def load_demo_month(hospital: Facility, patients: list[Patient]) -> list[tuple[Invoice, str]]:
    """A month of visits: charged, invoiced, and mostly paid at the till, one shift
    a day. Returns the insured invoices with their diagnoses, to be claimed."""
    rng = random.Random(7)  # noqa: S311 - demo data, not secrets
    clerk = User.objects.get(username="billing")
    cashier = User.objects.get(username="cashier")
    zone = zone_of(hospital)
    today = timezone.localdate(timezone=zone)
    insured = []
    by_specialty = _doctors_by_specialty(hospital)
    for days_ago in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        opened = dt.datetime.combine(day, dt.time(8), zone)
        shift = services.open_shift(actor=cashier, facility=hospital, opening_float="2000")
        for visit in range(VISITS_PER_DAY):
            patient = rng.choice(patients)
            invoice, diagnosis = _visit(
                clerk, patient, day, f"{days_ago}:{visit}", rng, by_specialty
            )
            moment = opened + dt.timedelta(minutes=50 + 90 * visit + rng.randrange(40))
            Invoice.objects.filter(pk=invoice.pk).update(finalised_at=moment)
            invoice.finalised_at = moment
            if invoice.payer_amount:
                insured.append((invoice, diagnosis))
            _pay(cashier, invoice, rng, moment)
        _close(cashier, shift, opened)
    for days_ago in OLD_DEBTS:
        day = today - dt.timedelta(days=days_ago)
        invoice, _ = _visit(clerk, rng.choice(patients), day, f"old:{days_ago}", rng, by_specialty)
        finalised = dt.datetime.combine(day, dt.time(11), zone)
        Invoice.objects.filter(pk=invoice.pk).update(finalised_at=finalised)
    return insured


def _doctors_by_specialty(hospital: Facility) -> dict[str, list[Practitioner]]:
    found: dict[str, list[Practitioner]] = {}
    for doctor in demo_doctors(hospital, User.objects.get(username="admin")):
        for specialty in doctor.specialties.all():
            found.setdefault(specialty.code, []).append(doctor)
    return found


def _visit(clerk, patient, day, key, rng, by_specialty) -> tuple[Invoice, str]:
    consultation, diagnosis, extras = rng.choice(VISITS)
    # Everything in a visit is charged to its doctor and their department; a patient
    # sees the same doctor of a specialty each time.
    doctors = by_specialty[CONSULTED[consultation]]
    doctor = doctors[patient.pk % len(doctors)]
    for item in [consultation, *extras]:
        services.capture_charge(
            actor=clerk,
            patient=patient,
            item_code=item,
            source=f"demo:{key}:{item}",
            service_date=day,
            price_list=_price_list_for(patient, day),
            practitioner=doctor,
        )
    invoice = services.draft_invoice(actor=clerk, patient=patient)
    return services.finalise_invoice(actor=clerk, invoice=invoice), diagnosis


def _price_list_for(patient: Patient, day: dt.date):
    coverage = insurance.coverage_on(patient.pk, day)
    return coverage.plan.price_list if coverage else None


def _pay(cashier, invoice: Invoice, rng, moment) -> None:
    owed = invoice.patient_amount if invoice.payer_amount else invoice.total
    roll = rng.random()
    if not owed or roll < 0.12:  # left owing: the receivables
        return
    amount = owed if roll > 0.25 else (owed / 2).quantize(Decimal("1"))
    method = rng.choice(["cash", "cash", "card", "mobile_money"])
    reference = "" if method == "cash" else f"{method[:2].upper()}{rng.randrange(10**8):08d}"
    payment = services.take_payment(
        actor=cashier, invoice=invoice, amount=amount, method=method, reference=reference
    )
    Payment.objects.filter(pk=payment.pk).update(received_at=moment + dt.timedelta(minutes=5))


def _close(cashier, shift: Shift, opened) -> None:
    shift.refresh_from_db()
    takings = {"cash": shift.opening_float}
    for method, amount in shift.payments.values_list("method", "amount"):
        takings[method] = takings.get(method, Decimal(0)) + amount
    services.close_shift(actor=cashier, shift=shift, counts=takings)
    Shift.objects.filter(pk=shift.pk).update(
        opened_at=opened, closed_at=opened + dt.timedelta(hours=9)
    )
