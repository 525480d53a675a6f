"""The demo hospital: two facilities, their departments and one user per staff role."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils.translation import gettext as _

from hms.accounts import services as account_services
from hms.accounts.models import User
from hms.core import context
from hms.core.models import Department, Facility
from hms.patients.models import Patient
from hms.web.demo_billing import load_demo_month, load_demo_payers, load_demo_tariff
from hms.web.demo_claims import load_demo_claims
from hms.web.demo_clinics import load_demo_clinics
from hms.web.demo_patients import load_demo_patients
from hms.web.demo_progress import DemoProgress

DEMO_PASSWORD = "demo-hospital-2026"
# The demo hospital's made-up national provider number and tax id, for its claims
# (an installation sets its own in HMS_BILLING_NPI and HMS_BILLING_TAX_ID).
DEMO_PROVIDER = {"HMS_BILLING_NPI": "1234567893", "HMS_BILLING_TAX_ID": "000000000"}


def use_demo_provider() -> None:
    """Give the demo its provider numbers where none are configured, in this process
    and in the server processes it starts."""
    for name, value in DEMO_PROVIDER.items():
        if not getattr(settings, name):
            os.environ[name] = value
            setattr(settings, name, value)


HOSPITAL = (
    "RGH",
    "Riverside General Hospital",
    "Africa/Nairobi",
    "KES",
    "1 Riverside Road, Nairobi",
    "+254 20 555 0100",
)
CLINIC = (
    "RCC",
    "Riverside Community Clinic",
    "Africa/Nairobi",
    "KES",
    "14 Market Street, Thika",
    "+254 67 555 0140",
)

DEPARTMENTS = {
    "RGH": [
        ("OPD", "General outpatients", Department.Kind.OUTPATIENT),
        ("PAED", "Paediatrics clinic", Department.Kind.OUTPATIENT),
        ("ANC", "Antenatal clinic", Department.Kind.OUTPATIENT),
        ("ER", "Emergency", Department.Kind.EMERGENCY),
        ("MED", "Medical ward", Department.Kind.WARD),
        ("SURG", "Surgical ward", Department.Kind.WARD),
        ("MAT", "Maternity ward", Department.Kind.WARD),
        ("THR", "Main theatre", Department.Kind.THEATRE),
        ("PHARM", "Pharmacy", Department.Kind.PHARMACY),
        ("LAB", "Laboratory", Department.Kind.LABORATORY),
        ("XRAY", "Radiology", Department.Kind.RADIOLOGY),
        ("BILL", "Billing and cashier", Department.Kind.BILLING),
        ("REC", "Medical records", Department.Kind.RECORDS),
        ("STORE", "Main stores", Department.Kind.STORES),
        ("ADMIN", "Administration", Department.Kind.ADMINISTRATION),
    ],
    "RCC": [
        ("OPD", "Outpatients", Department.Kind.OUTPATIENT),
        ("PHARM", "Dispensary", Department.Kind.PHARMACY),
        ("LAB", "Laboratory", Department.Kind.LABORATORY),
        ("BILL", "Cashier", Department.Kind.BILLING),
    ],
}

# username, first, last, roles at RGH, roles at RCC
STAFF = [
    ("admin", "Amina", "Odhiambo", ["admin"], ["admin"]),
    ("reception", "Grace", "Wanjiru", ["receptionist"], ["receptionist"]),
    ("nurse", "Peter", "Kamau", ["nurse"], []),
    ("doctor", "Fatuma", "Hassan", ["doctor"], ["doctor"]),
    ("pharmacist", "John", "Mwangi", ["pharmacist"], []),
    ("labtech", "Mercy", "Achieng", ["lab_technician"], []),
    ("radiologist", "David", "Otieno", ["radiologist"], []),
    ("billing", "Ruth", "Njeri", ["billing_clerk"], []),
    ("cashier", "Joseph", "Mutiso", ["cashier"], ["cashier"]),
    ("wardmanager", "Samuel", "Kiprop", ["ward_manager"], []),
    ("auditor", "Esther", "Mutua", ["auditor"], []),
]


def _facility(code, name, tz, currency, address, phone) -> Facility:
    facility, _ = Facility.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "timezone": tz,
            "currency": currency,
            "address": address,
            "phone": phone,
        },
    )
    for dept_code, dept_name, kind in DEPARTMENTS[code]:
        Department.objects.get_or_create(
            facility=facility,
            code=dept_code,
            defaults={"name": dept_name, "kind": kind},
        )
    return facility


def load_demo(out: OutputWrapper | None = None) -> bool:
    """Load the demo hospital and its patients once, showing each step on `out`; returns
    False when it was already there."""
    if User.objects.filter(username="admin").exists():
        return False
    # Each step's share (in percent) is its rough share of the time.
    progress = DemoProgress(out)
    with (
        progress.step(_("Staff and facilities"), 15),
        context.bound(context.RequestContext(channel="cli")),
        transaction.atomic(),
    ):
        hospital, clinic = _facility(*HOSPITAL), _facility(*CLINIC)
        for username, first, last, here, there in STAFF:
            user = account_services.create_user(
                actor=None,
                facility=hospital,
                username=username,
                password=DEMO_PASSWORD,
                roles=here,
                first_name=first,
                last_name=last,
                skip_permission_checks=True,
            )
            if there:
                account_services.assign_roles(
                    actor=None,
                    user=user,
                    facility=clinic,
                    roles=there,
                    skip_permission_checks=True,
                )
                # They work at the hospital: sign-in lands there, not in the clinic by name.
                account_services.remember_facility(user=user, facility=hospital)
    # After the commit: on PostgreSQL the import writes from a thread of its own, which
    # must see the facility.
    with context.bound(context.RequestContext(channel="cli", facility_code=hospital.code)):
        with progress.step(_("Patients"), 10):
            load_demo_patients(hospital)
        _load_demo_billing(hospital, progress)
    progress.close()
    return True


def _load_demo_billing(hospital: Facility, progress: DemoProgress) -> None:
    """The tariff comes before the clinics, so today's check-ins are charged."""
    admin = User.objects.get(username="admin")
    with transaction.atomic():
        with progress.step(_("Tariff and payers"), 5):
            load_demo_tariff(hospital, admin)
            patients = list(
                Patient.objects.filter(facility=hospital, status=Patient.Status.ACTIVE).order_by(
                    "id"
                )
            )
            load_demo_payers(hospital, admin, patients[160:])
        with progress.step(_("A month of billing"), 25):
            insured = load_demo_month(hospital, patients[160:])
        with progress.step(_("Claims and a remittance"), 20):
            load_demo_claims(hospital, insured)
    with progress.step(_("Clinics and today's queue"), 25):
        load_demo_clinics(hospital)
