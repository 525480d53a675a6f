"""The walk-in registration service: a phone number, or the reason there is none."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from hms.core.errors import InvalidInput
from hms.patients.inputs import PatientInput
from hms.patients.models import Patient, TimelineEntry
from hms.patients.walk_in import register_walk_in

pytestmark = pytest.mark.django_db

AMINA = PatientInput(
    given_name="Amina", family_name="Okoth", sex="female", birth_date=dt.date(1990, 4, 12)
)


@pytest.fixture
def clerk(make_user):
    return make_user("receptionist")


def test_a_phone_number_is_enough(clerk, facility):
    patient = register_walk_in(
        actor=clerk,
        facility=facility,
        data=replace(AMINA, phone="0712345678"),
    )
    assert patient.phone == "+254712345678"
    assert not TimelineEntry.objects.filter(patient=patient, kind="note").exists()


@pytest.mark.parametrize("reason", ["no_phone", "declined", "unknown"])
def test_no_phone_with_a_reason_is_registered_and_the_reason_kept(clerk, facility, reason):
    patient = register_walk_in(actor=clerk, facility=facility, data=AMINA, no_phone_reason=reason)

    note = TimelineEntry.objects.get(patient=patient, kind="note")
    assert note.detail == {"no_phone_reason": reason}


@pytest.mark.parametrize(
    ("reason", "field"),
    [("", "phone"), ("lost it", "no_phone_reason"), ("NO_PHONE", "no_phone_reason")],
)
def test_no_phone_and_no_valid_reason_is_refused_and_nothing_saved(clerk, facility, reason, field):
    with pytest.raises(InvalidInput) as refused:
        register_walk_in(actor=clerk, facility=facility, data=AMINA, no_phone_reason=reason)
    assert refused.value.field == field
    assert Patient.objects.count() == 0
