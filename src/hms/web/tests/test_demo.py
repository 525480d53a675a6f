"""The demo hospital's patients: generated people, Synthea's when present, and planted
duplicates on the worklist."""

from __future__ import annotations

import datetime as dt

import pytest

from hms.accounts.models import User
from hms.accounts.policies import facilities_of
from hms.accounts.session import landing_facility
from hms.core.models import Facility
from hms.patients import mrn
from hms.patients.models import DuplicateCandidate, Patient, PatientContact
from hms.web import demo, demo_patients
from hms.web.demo import load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def without_synthea(monkeypatch, tmp_path):
    monkeypatch.setattr(demo_patients, "SYNTHEA", tmp_path / "absent")


def test_generated_people_look_like_a_hospital_s_patients():
    # when
    people = demo_patients.generated_patients(dt.date(2026, 1, 1))

    # then
    assert len(people) == demo_patients.GENERATED + 8
    data = [p for _, p in people]
    ages = [(dt.date(2026, 1, 1) - p.birth_date).days // 365 for p in data]
    assert min(ages) == 0
    assert max(ages) >= 85
    assert sum(a < 15 for a in ages) > 40
    phones = [p.phone for p in data if p.phone]
    assert all(p.startswith("+254") and len(p) == 13 for p in phones)
    adults = [p for p, age in zip(data[: demo_patients.GENERATED], ages, strict=False) if age >= 18]
    assert all(any(i.system == "national_id" for i in p.identifiers) for p in adults)
    assert sum(p.is_deceased for p in data) >= 1
    assert all(p.contacts for p in data[: demo_patients.GENERATED])


def test_the_same_demo_every_time():
    assert demo_patients.generated_patients(dt.date(2026, 1, 1)) == (
        demo_patients.generated_patients(dt.date(2026, 1, 1))
    )


def test_demo_loads_patients_and_planted_duplicates_without_shared_data(without_synthea):
    # when
    assert load_demo() is True

    # then
    hospital = Facility.objects.get(code=demo.HOSPITAL[0])
    patients = Patient.objects.filter(facility=hospital)
    assert patients.count() == demo_patients.GENERATED + 8
    assert all(mrn.is_valid(m) for m in patients.values_list("mrn", flat=True))
    assert PatientContact.objects.count() == demo_patients.GENERATED
    assert patients.filter(is_deceased=True).exists()
    assert DuplicateCandidate.objects.filter(status="open").count() >= 8
    # Staff who also hold roles at the clinic land at the hospital where they work.
    clinic = Facility.objects.get(code=demo.CLINIC[0])
    two_sites = User.objects.filter(role_assignments__facility=clinic).distinct()
    assert two_sites.exists()
    for user in two_sites:
        assert landing_facility(user, facilities_of(user)) == hospital
    planted = Patient.objects.filter(identifiers__value__startswith="demo:dup")
    flagged = set(DuplicateCandidate.objects.values_list("patient_id", flat=True)) | set(
        DuplicateCandidate.objects.values_list("other_id", flat=True)
    )
    assert {p.pk for p in planted} <= flagged


def test_demo_loads_once(without_synthea):
    # given
    load_demo()

    # when
    again = load_demo()

    # then
    assert again is False
    assert Patient.objects.count() == demo_patients.GENERATED + 8


@pytest.mark.skipif(not demo_patients.SYNTHEA.is_dir(), reason="no shared Synthea bundles here")
def test_demo_adds_the_synthea_patients_when_present():
    # when
    load_demo()

    # then
    assert Patient.objects.count() == demo_patients.GENERATED + 8 + 30
    assert Patient.objects.filter(family_name="Atencio").exists()


def test_demo_clinics_have_doctors_sessions_bookings_and_a_live_queue(without_synthea):
    from hms.encounters.models import Encounter
    from hms.scheduling.models import Appointment, QueueTicket, Schedule
    from hms.staff.models import Practitioner

    assert load_demo() is True

    doctors = Practitioner.objects.all()
    assert doctors.count() == 6
    assert {d.department.code for d in doctors} == {"OPD", "PAED", "ANC"}
    assert Practitioner.objects.get(user__username="doctor").family_name == "Hassan"
    assert Schedule.objects.count() >= 6 * 10
    assert Appointment.objects.filter(status="booked").count() >= 50
    tickets = QueueTicket.objects.all()
    assert tickets.filter(status="done").count() == 4
    assert tickets.filter(status="called").count() == 1
    assert tickets.filter(status="waiting").count() >= 3
    assert Encounter.objects.filter(status="finished").count() == 4


def test_demo_has_a_month_of_billing_and_claims_in_every_state(
    without_synthea, settings, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from django.db.models import Count, F, Sum
    from django.utils import timezone

    from hms.billing.models import Charge, Claim, Invoice, Payment, Remittance

    with django_capture_on_commit_callbacks(execute=True):
        assert load_demo() is True

    invoices = Invoice.objects.all()
    days = invoices.dates("finalised_at", "day")
    assert len(days) >= 28
    assert invoices.filter(status="final").exists()  # some still owe
    assert invoices.filter(status="paid").exists()
    assert not invoices.exclude(total=F("subtotal") - F("discount_total") + F("tax_total"))
    oldest = invoices.order_by("finalised_at").first().finalised_at
    assert (timezone.now() - oldest).days > 90  # the receivables age into every bucket
    assert Payment.objects.values("method").distinct().count() >= 3
    # today's check-ins were charged their consultation
    assert Charge.objects.filter(source__startswith="encounter:").exists()
    # every charge carries who rendered it and where, for revenue by department and doctor
    assert not Charge.objects.filter(department=None).exists()
    assert not Charge.objects.filter(source__startswith="demo:", practitioner=None).exists()
    by_status = dict(Claim.objects.values_list("status").annotate(n=Count("id")))
    assert set(by_status) == {s.value for s in Claim.Status}
    assert Claim.objects.filter(attempt=2).exists()  # corrected and sent again
    remittance = Remittance.objects.get()
    assert remittance.total_paid == Claim.objects.aggregate(p=Sum("paid_amount"))["p"]
    assert remittance.total_paid > Decimal(0)
    assert (settings.DATA_DIR / "demo" / remittance.file_name).is_file()
