import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from hms.audit.models import AuditEvent
from hms.billing import services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import BillableItem, Price
from hms.billing.tests.conftest import FROM
from hms.core.errors import Conflict, InvalidInput, NotPermitted


def test_a_new_price_closes_the_one_before_and_keeps_it_as_history(tariff, supervisor):
    # when
    new = services.set_price(
        actor=supervisor,
        item=tariff.consult,
        price_list=tariff.self_pay,
        amount=Decimal("1200"),
        valid_from=dt.date(2026, 7, 1),
    )

    # then
    history = list(Price.objects.filter(item=tariff.consult, price_list=tariff.self_pay))
    assert [(p.amount, p.valid_from, p.valid_until) for p in history] == [
        (Decimal("1000.00"), FROM, dt.date(2026, 7, 1)),
        (Decimal("1200.00"), dt.date(2026, 7, 1), None),
    ]
    audit = AuditEvent.objects.filter(object_id=str(new.external_id)).get()
    assert "1000.00 (tax 0.00%) -> 1200" in audit.reason


def test_a_price_starting_before_a_later_one_is_refused(tariff, supervisor):
    with pytest.raises(Conflict) as exc:
        services.set_price(
            actor=supervisor,
            item=tariff.consult,
            price_list=tariff.self_pay,
            amount=Decimal("900"),
            valid_from=FROM - dt.timedelta(days=1),
        )

    assert exc.value.code == BillingErrorCode.PRICE_OVERLAP
    assert Price.objects.filter(item=tariff.consult, price_list=tariff.self_pay).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an exclusion constraint")
def test_postgresql_refuses_overlapping_prices_written_past_the_service(tariff):
    # given: a closed price, then a row overlapping it written straight to the table
    Price.objects.filter(item=tariff.fbc, price_list=tariff.self_pay).update(
        valid_until=dt.date(2026, 6, 1)
    )

    # then
    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.create(
            item=tariff.fbc,
            price_list=tariff.self_pay,
            amount=1,
            valid_from=dt.date(2026, 5, 1),
            valid_until=dt.date(2026, 8, 1),
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"tax_rate": "101"}, "tax_rate"),
        ({"valid_from": "2026-01-01"}, "valid_from"),
    ],
)
def test_bad_prices_are_refused_naming_the_field(tariff, supervisor, changes, field):
    values = {"amount": Decimal(5), "valid_from": dt.date(2027, 1, 1), **changes}

    with pytest.raises(InvalidInput) as exc:
        services.set_price(actor=supervisor, item=tariff.fbc, price_list=tariff.self_pay, **values)

    assert exc.value.field == field
    assert Price.objects.filter(item=tariff.fbc, price_list=tariff.self_pay).count() == 1


def test_an_item_code_is_unique_per_facility(tariff, supervisor, facility):
    with pytest.raises(Conflict) as exc:
        services.add_billable_item(
            actor=supervisor, facility=facility, code="FBC", name="Again", kind="lab"
        )

    assert exc.value.code == BillingErrorCode.DUPLICATE_CODE
    assert BillableItem.objects.filter(code="FBC").count() == 1


def test_only_consultations_have_a_specialty(tariff, supervisor, facility):
    with pytest.raises(InvalidInput) as exc:
        services.add_billable_item(
            actor=supervisor,
            facility=facility,
            code="XRAY",
            name="Chest X-ray",
            kind="imaging",
            specialty=tariff.specialty,
        )

    assert exc.value.field == "specialty"


def test_a_second_self_pay_list_is_refused(tariff, supervisor, facility):
    with pytest.raises(Conflict):
        services.add_price_list(
            actor=supervisor, facility=facility, code="CASH2", name="Cash 2", kind="self_pay"
        )


def test_a_clerk_may_not_change_prices(tariff, clerk):
    with pytest.raises(NotPermitted):
        services.set_price(
            actor=clerk,
            item=tariff.fbc,
            price_list=tariff.self_pay,
            amount=Decimal(1),
            valid_from=dt.date(2027, 1, 1),
        )
