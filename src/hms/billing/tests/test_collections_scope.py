"""Who sees whose takings in the collections report: a cashier their own, a supervisor
(who may approve refunds and discounts) every cashier's; the same on the page, its CSV
and XLSX downloads and the REST API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from hms.accounts import services as accounts
from hms.accounts.testing import verified_session
from hms.billing.reports.selectors import daily_collections
from hms.billing.tests.test_reports_selectors import at, invoice_on, pay

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
PAGE = reverse("billing_reports:collections")
API = reverse("billing-report", kwargs={"name": "collections"})


@pytest.fixture
def two_tills(tariff, clerk, patient, make_user):
    """On 2 March one cashier took 700 by mobile money, another 400 by card."""
    amina, baraka = make_user("cashier"), make_user("cashier")
    invoice = invoice_on(at(dt.date(2026, 3, 2), 8), clerk, patient)
    pay(at(dt.date(2026, 3, 2), 9), amina, invoice, "700", "mobile_money", "MPESA-1")
    pay(at(dt.date(2026, 3, 2), 10), baraka, invoice, "400", "card", "SLIP-1")
    return amina, baraka


def _api(user) -> APIClient:
    _, raw = accounts.issue_token(
        actor=None, user=user, name="test", days=7, skip_permission_checks=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _page_cashiers(user) -> set[str]:
    response = verified_session(Client(), user).get(PAGE, PERIOD)
    assert response.status_code == 200
    (table,) = response.context["report"].tables
    return {row["cashier"] for row in table.rows}


def _csv_cashiers(user) -> set[str]:
    response = verified_session(Client(), user).get(PAGE, {**PERIOD, "format": "csv"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    return {line[1] for line in lines[1:-1]}


def _xlsx_cashiers(user) -> set[str]:
    response = verified_session(Client(), user).get(PAGE, {**PERIOD, "format": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    return {row[1] for row in rows[1:-1]}


def _api_cashiers(user) -> set[str]:
    response = _api(user).get(API, PERIOD)
    assert response.status_code == 200
    return {row["cashier"] for row in response.json()["tables"]["collections"]["rows"]}


DOORS = [_page_cashiers, _csv_cashiers, _xlsx_cashiers, _api_cashiers]


@pytest.mark.parametrize("door", DOORS)
def test_a_cashier_sees_only_their_own_takings(two_tills, door):
    amina, _ = two_tills

    assert door(amina) == {amina.username}


@pytest.mark.parametrize("door", DOORS)
def test_a_supervisor_sees_every_cashiers_takings(two_tills, supervisor, door):
    amina, baraka = two_tills

    assert door(supervisor) == {amina.username, baraka.username}


def test_a_cashiers_totals_count_only_their_own_money(two_tills, facility, supervisor):
    amina, _ = two_tills
    period = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}

    own = daily_collections(viewer=amina, facility=facility, **period)
    every = daily_collections(viewer=supervisor, facility=facility, **period)

    assert own.table("collections").totals["received"] == Decimal("700.00")
    assert every.table("collections").totals["received"] == Decimal("1100.00")


def test_a_billing_clerk_who_took_no_money_sees_none(two_tills, facility, clerk):
    report = daily_collections(
        viewer=clerk,
        facility=facility,
        date_from=dt.date(2026, 3, 1),
        date_to=dt.date(2026, 3, 31),
    )

    assert report.table("collections").rows == []
