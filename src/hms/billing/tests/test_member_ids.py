"""One member number of one payer names one policyholder: a second patient entering it
as their own is refused naming the holder, in sequence, over REST and in a race of real
threads (SQLite and PostgreSQL); dependants share it, other payers may reuse it, and
merges of the holder's records keep the rule without failing."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from hms.billing.models import Coverage
from hms.billing.services import insurance
from hms.billing.services.insurance import InsuranceErrorCode, Subscriber
from hms.core.errors import Conflict
from hms.patients import merging
from hms.patients.testing import registered
from hms.patients.tests.races import in_race_database, race

START = dt.date(2026, 1, 1)
NUMBER = "AAR-0012-3456"
COVERAGES = "/api/v1/billing/coverages/"


def _payer_and_plan(supervisor, facility, code="AAR"):
    payer = insurance.add_payer(
        actor=supervisor, facility=facility, code=code, name=code, kind="insurer"
    )
    return payer, insurance.add_plan(actor=supervisor, payer=payer, code="GOLD", name="Gold")


@pytest.fixture
def plan(facility, supervisor):
    return _payer_and_plan(supervisor, facility)[1]


@pytest.fixture
def other(facility):
    return registered(facility, given_name="Achieng", family_name="Odhiambo", sex="female")


def cover(clerk, patient, plan, **changes):
    fields = {"member_id": NUMBER, "valid_from": START, **changes}
    return insurance.add_coverage(actor=clerk, patient=patient, plan=plan, **fields)


@pytest.mark.django_db
def test_a_second_policyholder_of_one_number_is_refused_naming_the_holder(
    clerk, patient, other, plan
):
    first = cover(clerk, patient, plan)

    with pytest.raises(Conflict) as exc:
        cover(clerk, other, plan, member_id="aar 0012 3456")

    assert exc.value.code == InsuranceErrorCode.MEMBER_ID_TAKEN
    assert exc.value.field == "member_id"
    assert patient.mrn in exc.value.message
    assert list(Coverage.objects.all()) == [first]
    assert (first.payer, first.holds_member_id) == (plan.payer, True)
    # another number is theirs to hold
    assert cover(clerk, other, plan, member_id="AAR-0099-0001").holds_member_id


@pytest.mark.django_db
def test_a_dependant_shares_the_number_and_another_payer_may_reuse_it(
    clerk, supervisor, facility, patient, other, plan
):
    cover(clerk, patient, plan)
    child = cover(clerk, other, plan, relationship="child", subscriber=Subscriber("Otieno", "Juma"))
    _, elsewhere = _payer_and_plan(supervisor, facility, code="JUB")
    at_another_payer = cover(clerk, other, elsewhere)

    assert (child.relationship, child.holds_member_id) == ("child", False)
    assert at_another_payer.holds_member_id
    assert Coverage.objects.count() == 3


@pytest.mark.django_db
def test_the_holders_renewal_keeps_the_number_until_all_are_cancelled(clerk, patient, other, plan):
    first = cover(clerk, patient, plan, valid_until=dt.date(2026, 12, 31))
    renewal = cover(clerk, patient, plan, valid_from=dt.date(2027, 1, 1))
    assert not renewal.holds_member_id

    insurance.cancel_coverage(actor=clerk, coverage=first, reason="card reissued")
    renewal.refresh_from_db()
    assert renewal.holds_member_id
    with pytest.raises(Conflict):
        cover(clerk, other, plan)

    insurance.cancel_coverage(actor=clerk, coverage=renewal, reason="entered on the wrong record")
    assert cover(clerk, other, plan).holds_member_id


@pytest.mark.django_db
def test_the_database_keeps_one_holder_per_payer_and_number(clerk, patient, other, plan):
    first = cover(clerk, patient, plan)
    second = cover(clerk, other, plan, member_id="AAR-0099-0001")

    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.filter(pk=second.pk).update(member_id_index=first.member_id_index)

    Coverage.objects.filter(pk=second.pk).update(
        member_id_index=first.member_id_index, holds_member_id=False
    )
    assert Coverage.objects.filter(member_id_index=first.member_id_index).count() == 2


@pytest.mark.django_db
def test_rest_answers_409_naming_the_field_with_nothing_saved(
    api_client_for, clerk, patient, other, plan
):
    cover(clerk, patient, plan)
    api = api_client_for("billing_clerk")
    body = {"patient": str(other.external_id), "payer": "AAR", "plan": "GOLD"}

    response = api.post(
        COVERAGES, {**body, "member_id": NUMBER, "valid_from": "2026-01-01"}, format="json"
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "MEMBER_ID_TAKEN"
    assert response.json()["field"] == "member_id"
    assert Coverage.objects.filter(patient=other).count() == 0
    ok = api.post(
        COVERAGES, {**body, "member_id": "AAR-1", "valid_from": "2026-01-01"}, format="json"
    )
    assert ok.status_code == 201, ok.content


@pytest.mark.django_db
def test_merging_the_holder_moves_the_number_and_never_fails(
    clerk, make_user, facility, patient, other, plan
):
    # given: a survivor whose own coverage of the number predates the rule (not holding)
    legacy = cover(clerk, other, plan, member_id="AAR-0099-0001", valid_until=dt.date(2026, 12, 31))
    holder = cover(clerk, patient, plan, valid_until=dt.date(2026, 12, 31))
    Coverage.objects.filter(pk=legacy.pk).update(
        member_id_index=holder.member_id_index, holds_member_id=False
    )
    third = registered(facility, given_name="Baraka", family_name="Mwangi")

    # when
    merging.merge_patients(
        actor=make_user("ward_manager"), survivor=other, merged=patient, reason="Same person"
    )

    # then
    assert set(Coverage.objects.values_list("patient", "holds_member_id")) == {
        (other.pk, True),
        (other.pk, False),
    }
    assert cover(clerk, other, plan, valid_from=dt.date(2027, 1, 1)).patient == other
    with pytest.raises(Conflict) as exc:
        cover(clerk, third, plan)
    assert other.mrn in exc.value.message


@pytest.mark.django_db
def test_the_migration_lets_the_earliest_hold_and_leaves_the_others_active(
    clerk, patient, other, plan
):
    first = cover(clerk, patient, plan)
    later = cover(clerk, other, plan, member_id="AAR-0099-0001")
    Coverage.objects.update(member_id_index=first.member_id_index, holds_member_id=False)

    importlib.import_module("hms.billing.migrations.0010_coverage_payer_holder_fill").fill(
        apps, None
    )

    rows = Coverage.objects.values_list("pk", "status", "holds_member_id")
    assert set(rows) == {(first.pk, "active", True), (later.pk, "active", False)}


@pytest.mark.django_db(transaction=True)
def test_two_clerks_entering_one_number_for_two_patients_make_one_coverage(
    clerk, patient, other, plan, tmp_path
):
    results = race(
        [lambda: cover(clerk, patient, plan), lambda: cover(clerk, other, plan)], tmp_path
    )

    made = [value for outcome, value in results if outcome == "ok"]
    refused = [value for outcome, value in results if outcome == "raised"]
    assert len(made) == 1, results
    assert [(type(e), e.code, e.field) for e in refused] == [
        (Conflict, InsuranceErrorCode.MEMBER_ID_TAKEN, "member_id")
    ], refused
    assert made[0].patient.mrn in refused[0].message
    assert in_race_database(
        lambda: list(Coverage.objects.values_list("pk", flat=True)), tmp_path
    ) == [made[0].pk]


@pytest.mark.django_db
def test_a_number_taken_after_the_check_is_refused_by_the_database_with_nothing_saved(
    clerk, patient, other, plan, monkeypatch
):
    # given: a holder the first look does not see, as when another clerk commits meanwhile
    cover(clerk, patient, plan)
    real, looks = insurance._check_holder, []

    def first_look_misses(*args):
        looks.append(args)
        return False if len(looks) == 1 else real(*args)

    monkeypatch.setattr(insurance, "_check_holder", first_look_misses)

    with pytest.raises(Conflict) as exc:
        cover(clerk, other, plan)

    assert (exc.value.code, exc.value.field) == (InsuranceErrorCode.MEMBER_ID_TAKEN, "member_id")
    assert not Coverage.objects.filter(patient=other).exists()
    assert len(looks) == 2  # the second look, after the database refused the insert
