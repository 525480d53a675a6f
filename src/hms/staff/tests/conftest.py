"""A directory to search: Riverside General (outpatients, paediatrics) with two
doctors and a nurse; Hillside Clinic next door with a cardiologist of its own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hms.core.models import Department
from hms.staff import services
from hms.staff.inputs import PractitionerInput
from hms.staff.models import Practitioner, Specialty


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def specialties(db) -> dict[str, Specialty]:
    return {
        code: Specialty.objects.create(code=code, name=name)
        for code, name in [("PAED", "Paediatrics"), ("CARD", "Cardiology")]
    }


@pytest.fixture
def paediatrics(facility) -> Department:
    return Department.objects.create(
        facility=facility, code="PAEDS", name="Paediatric clinic", kind=Department.Kind.OUTPATIENT
    )


@pytest.fixture
def foreign_department(other_facility) -> Department:
    return Department.objects.create(
        facility=other_facility, code="CARDIO", name="Heart clinic", kind=Department.Kind.OUTPATIENT
    )


def an_entry(**fields) -> PractitionerInput:
    return PractitionerInput(**{"given_name": "Amina", "family_name": "Hassan", **fields})


@pytest.fixture
def directory(admin, facility, specialties, paediatrics) -> dict[str, Practitioner]:
    """amina: Dr Amina Hassan, paediatrics, en and sw-KE; jose: Dr José Peña-García,
    cardiology in outpatients, es; wanjiru: nurse Wanjiru Kamau, no longer active."""
    entries = {
        "amina": an_entry(
            title="Dr",
            department="PAEDS",
            specialties=("PAED",),
            languages=("en", "sw-KE"),
            registration_number="KMPDC-1001",
            consultation_fee=Decimal("1500.00"),
        ),
        "jose": an_entry(
            title="Dr",
            given_name="José",
            family_name="Peña-García",
            department="OPD",
            specialties=("CARD",),
            languages=("es",),
        ),
        "wanjiru": an_entry(
            kind=Practitioner.Kind.NURSE,
            given_name="Wanjiru",
            family_name="Kamau",
            languages=("sw",),
            is_active=False,
        ),
    }
    return {
        key: services.add_practitioner(actor=admin, facility=facility, data=data)
        for key, data in entries.items()
    }
