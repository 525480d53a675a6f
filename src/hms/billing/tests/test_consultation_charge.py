"""The consultation fee reaches billing through the visit events (hms.core.events):
charged once at check-in (or at the end, or never, as configured), even when the event
is delivered again."""

from decimal import Decimal

import pytest
from django.test import override_settings

from hms.billing.models import Charge
from hms.billing.services import set_price
from hms.billing.tests.conftest import FROM
from hms.core import events
from hms.core.models import Event
from hms.encounters.models import Encounter
from hms.encounters.services import move_visit
from hms.scheduling.queue import walk_in
from hms.staff.models import Practitioner


@pytest.fixture
def doctor(facility, tariff):
    doctor = Practitioner.objects.create(
        facility=facility, given_name="Amina", family_name="Hassan", search_name="amina hassan"
    )
    doctor.specialties.add(tariff.specialty)
    return doctor


@pytest.fixture
def nurse(make_user):
    return make_user("nurse")


def arrive(nurse, patient, facility, doctor, capture):
    with capture(execute=True):
        ticket = walk_in(
            actor=nurse,
            patient=patient,
            department=facility.departments.get(code="OPD"),
            practitioner=doctor,
        )
    return ticket.encounter


def test_check_in_charges_the_specialty_consultation_once(
    nurse, patient, facility, doctor, django_capture_on_commit_callbacks
):
    # when
    encounter = arrive(nurse, patient, facility, doctor, django_capture_on_commit_callbacks)

    # then
    charge = Charge.objects.get()
    assert (charge.item.code, charge.unit_price, charge.encounter) == (
        "CONS-PAED",
        Decimal("1500.00"),
        encounter,
    )
    assert charge.source == f"encounter:{encounter.external_id}:consultation"
    event = Event.objects.get(name="visit.started")
    assert event.delivered_at is not None
    assert event.attempts == 1

    # and a second delivery (a retry) charges nothing more
    assert events.deliver(event) is True
    assert Charge.objects.count() == 1


def test_the_practitioners_own_fee_wins_over_the_tariff(
    nurse, patient, facility, doctor, django_capture_on_commit_callbacks
):
    Practitioner.objects.filter(pk=doctor.pk).update(consultation_fee=Decimal("2500"))
    doctor.refresh_from_db()

    arrive(nurse, patient, facility, doctor, django_capture_on_commit_callbacks)

    charge = Charge.objects.get()
    assert (charge.unit_price, charge.price_overridden) == (Decimal("2500.00"), True)


def test_a_walk_in_for_no_one_in_particular_pays_the_general_consultation(
    nurse, patient, facility, tariff, django_capture_on_commit_callbacks
):
    arrive(nurse, patient, facility, None, django_capture_on_commit_callbacks)

    assert Charge.objects.get().item.code == "CONS"


@override_settings(HMS_CONSULTATION_CHARGE_AT="finish")
def test_charged_when_the_consultation_ends_if_so_configured(
    nurse, patient, facility, doctor, django_capture_on_commit_callbacks
):
    encounter = arrive(nurse, patient, facility, doctor, django_capture_on_commit_callbacks)
    assert Charge.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        move_visit(actor=nurse, encounter=encounter, to=Encounter.Status.IN_CONSULTATION)
        move_visit(actor=nurse, encounter=encounter, to=Encounter.Status.FINISHED)

    assert Charge.objects.get().encounter == encounter


@override_settings(HMS_CONSULTATION_CHARGE_AT="off")
def test_nothing_charged_when_switched_off(
    nurse, patient, facility, doctor, django_capture_on_commit_callbacks
):
    arrive(nurse, patient, facility, doctor, django_capture_on_commit_callbacks)

    assert Charge.objects.count() == 0


def test_a_failing_subscriber_keeps_the_visit_and_leaves_the_event_for_a_retry(
    nurse, patient, facility, doctor, tariff, supervisor, django_capture_on_commit_callbacks
):
    # given: the consultations have no price in force
    tariff.consult.prices.all().delete()
    tariff.paed_consult.prices.all().delete()

    # when
    encounter = arrive(nurse, patient, facility, doctor, django_capture_on_commit_callbacks)

    # then
    assert Encounter.objects.filter(pk=encounter.pk).exists()
    assert Charge.objects.count() == 0
    event = Event.objects.get(name="visit.started")
    assert (event.delivered_at, event.attempts) == (None, 1)
    assert "has no price in force" in event.last_error
    Event.objects.filter(pk=event.pk).update(created_at=event.created_at - events.RETRY_AFTER * 2)
    assert events.has_pending_events() is True

    # and once a price is set, the periodic task delivers it
    set_price(
        actor=supervisor,
        item=tariff.paed_consult,
        price_list=tariff.self_pay,
        amount=Decimal("1500"),
        valid_from=FROM,
    )
    assert events.deliver_pending_events.call() == 1
    assert Charge.objects.count() == 1
    assert events.has_pending_events() is False
