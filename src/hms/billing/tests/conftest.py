"""A small tariff at Riverside General (KES): a general consultation at 1,000, a
paediatric one at 1,500, a full blood count at 800 with 16 % tax, on the self-pay list
from 1 Jan 2026; an insurer's list pricing only the blood count, at 700."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from hms.billing import services
from hms.billing.models import BillableItem, PriceList
from hms.patients.testing import registered
from hms.staff.models import Specialty

FROM = dt.date(2026, 1, 1)


@dataclass
class Tariff:
    self_pay: PriceList
    insurer: PriceList
    consult: BillableItem
    paed_consult: BillableItem
    fbc: BillableItem
    specialty: Specialty


@pytest.fixture
def supervisor(make_user):
    return make_user("admin")


@pytest.fixture
def clerk(make_user):
    return make_user("billing_clerk")


@pytest.fixture
def cashier(make_user):
    return make_user("cashier")


@pytest.fixture
def tariff(facility, supervisor) -> Tariff:
    paeds = Specialty.objects.create(code="PAED", name="Paediatrics")
    add = services.add_billable_item
    consult = add(
        actor=supervisor, facility=facility, code="CONS", name="Consultation", kind="consultation"
    )
    paed = add(
        actor=supervisor,
        facility=facility,
        code="CONS-PAED",
        name="Paediatric consultation",
        kind="consultation",
        specialty=paeds,
    )
    fbc = add(actor=supervisor, facility=facility, code="FBC", name="Full blood count", kind="lab")
    self_pay = services.add_price_list(
        actor=supervisor, facility=facility, code="CASH", name="Cash", kind="self_pay"
    )
    insurer = services.add_price_list(
        actor=supervisor, facility=facility, code="NHIF", name="NHIF", kind="payer"
    )
    for item, amount, tax in [(consult, "1000", "0"), (paed, "1500", "0"), (fbc, "800", "16")]:
        services.set_price(
            actor=supervisor,
            item=item,
            price_list=self_pay,
            amount=Decimal(amount),
            tax_rate=Decimal(tax),
            valid_from=FROM,
        )
    services.set_price(
        actor=supervisor,
        item=fbc,
        price_list=insurer,
        amount=Decimal("700"),
        tax_rate=Decimal("16"),
        valid_from=FROM,
    )
    return Tariff(self_pay, insurer, consult, paed, fbc, paeds)


@pytest.fixture
def patient(facility):
    return registered(facility)


@pytest.fixture
def final_invoice(tariff, clerk, patient):
    """A final invoice of 2,856.00 KES: a consultation and two blood counts."""
    from hms.billing.tests.payment_helpers import final_invoice_for

    return final_invoice_for(clerk, patient)
