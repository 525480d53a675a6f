"""The billing report pages, their CSV and XLSX downloads and the REST API: the same
rows through every door, and a bad filter refused with a message naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from hms.billing.models import Invoice
from hms.billing.reports.exports import as_csv
from hms.billing.reports.tables import MONEY, TEXT, Column, Report, Table
from hms.billing.tests.test_reports_selectors import AS_OF, at, invoice_on, pay, plan  # noqa: F401
from hms.patients.testing import registered

AGING = reverse("billing_reports:aging")


@pytest.fixture
def owed(facility, tariff, clerk, cashier, patient):
    """Aged to 30 June: 1,856 owed on an invoice of 20 June, 1,928 on one of 15 April."""
    recent = invoice_on(at(dt.date(2026, 6, 20)), clerk, patient)
    pay(at(dt.date(2026, 6, 21)), cashier, recent, "1000", "card", "SLIP-P")
    invoice_on(at(dt.date(2026, 4, 15)), clerk, registered(facility), blood_counts=1)


def test_the_index_lists_every_report(client_for):
    response = client_for("billing_clerk").get(reverse("billing_reports:index"))

    assert response.status_code == 200
    text = response.content.decode()
    for name in ["collections", "aging", "claims", "revenue"]:
        assert reverse(f"billing_reports:{name}") in text
    assert "Billing reports" in text


def test_the_aging_page_shows_its_table_and_a_chart_drawn_on_the_server(owed, client_for):
    response = client_for("cashier").get(AGING, {"as_of": "2026-06-30"})

    assert response.status_code == 200
    text = response.content.decode()
    for amount in ["1,856.00", "1,928.00", "3,784.00"]:
        assert amount in text
    assert 'href="?as_of=2026-06-30&amp;format=csv"' in text
    assert 'href="?as_of=2026-06-30&amp;format=xlsx"' in text
    # the chart is an image of its own, so the page does not wait for it to be drawn
    assert 'src="?as_of=2026-06-30&amp;format=svg"' in text
    chart = client_for("cashier").get(AGING, {"as_of": "2026-06-30", "format": "svg"})
    svg = chart.content.decode()
    assert (chart.status_code, chart["Content-Type"]) == (200, "image/svg+xml")
    assert svg.lstrip().startswith("<?xml")
    assert "<svg" in svg
    assert "<script" not in svg
    assert "<script" not in text.split("<main", 1)[1]


def test_the_same_figures_are_drawn_once_and_new_figures_anew(
    owed, client_for, cashier, monkeypatch
):
    from django.core.cache import cache

    from hms.billing.reports import charts

    cache.clear()  # drawings other tests left
    drawn = []
    real = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda *a: drawn.append(a) or real(*a))
    client = client_for("cashier")
    query = {"as_of": "2026-06-30", "format": "svg"}

    first, again = client.get(AGING, query).content, client.get(AGING, query).content
    unpaid = Invoice.objects.filter(status="final").order_by("id").first()
    pay(at(dt.date(2026, 6, 22)), cashier, unpaid, "5", "card", "SLIP-Q")
    changed = client.get(AGING, query).content

    assert first == again
    assert changed != first
    assert len(drawn) == 2


def test_a_report_with_nothing_to_draw_has_no_chart(client_for):
    page = client_for("cashier").get(AGING, {"as_of": "2026-06-30"}).content.decode()
    chart = client_for("cashier").get(AGING, {"as_of": "2026-06-30", "format": "svg"})

    assert 'data-testid="chart"' not in page
    assert chart.status_code == 404


def test_the_csv_holds_the_rows_of_the_page(owed, client_for):
    response = client_for("cashier").get(AGING, {"as_of": "2026-06-30", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="aging_2026-06-30.csv"' in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["By age"]
    assert lines[1] == [
        "Days since finalised",
        "Invoices",
        "Patients' part",
        "Payers' part",
        "Total",
    ]
    assert lines[2:7] == [
        ["0-30", "1", "1856.00", "0.00", "1856.00"],
        ["31-60", "0", "0.00", "0.00", "0.00"],
        ["61-90", "1", "1928.00", "0.00", "1928.00"],
        ["90+", "0", "0.00", "0.00", "0.00"],
        ["Total", "2", "3784.00", "0.00", "3784.00"],
    ]
    assert ["Patients owing most"] in lines


def test_the_xlsx_holds_the_same_rows_one_sheet_per_table(owed, client_for):
    response = client_for("cashier").get(AGING, {"as_of": "2026-06-30", "format": "xlsx"})

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["By age", "Patients owing most", "Payers owing most"]
    rows = list(book["By age"].iter_rows(values_only=True))
    assert rows[1] == ("0-30", 1, 1856, 0, 1856)
    assert rows[-1] == ("Total", 2, 3784, 0, 3784)
    assert book["By age"]["C2"].number_format == "#,##0.00"
    debtors = list(book["Patients owing most"].iter_rows(values_only=True))
    assert [row[-1] for row in debtors[1:]] == [1928, 1856]


def test_the_api_answers_the_same_rows_as_json(owed, api_client_for):
    response = api_client_for("billing_clerk").get(
        reverse("billing-report", kwargs={"name": "aging"}), {"as_of": "2026-06-30"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["report"], body["currency"], body["filters"]) == (
        "aging", "KES", {"as_of": "2026-06-30"},
    )  # fmt: skip
    buckets = body["tables"]["buckets"]
    assert buckets["rows"][0] == {
        "bucket": "0-30", "invoices": 1, "patients": "1856.00", "payers": "0.00",
        "total": "1856.00",
    }  # fmt: skip
    assert buckets["totals"]["total"] == "3784.00"
    assert [c["key"] for c in buckets["columns"]][:2] == ["bucket", "invoices"]


def test_the_collections_page_and_api_agree(
    facility, tariff, clerk, cashier, patient, client_for, api_client_for
):
    invoice = invoice_on(at(dt.date(2026, 3, 2), 8), clerk, patient)
    pay(at(dt.date(2026, 3, 2), 9), cashier, invoice, "700", "mobile_money", "MPESA-1")
    period = {"date_from": "2026-03-01", "date_to": "2026-03-31"}

    page = client_for("admin").get(
        reverse("billing_reports:collections"), {**period, "format": "csv"}
    )
    api = api_client_for("admin").get(
        reverse("billing-report", kwargs={"name": "collections"}), period
    )

    lines = list(csv.reader(io.StringIO(page.content.decode())))
    assert lines[1] == [
        "2026-03-02", cashier.username, "Mobile money", "1", "700.00", "0", "0.00", "700.00"
    ]  # fmt: skip
    (row,) = api.json()["tables"]["collections"]["rows"]
    assert (row["day"], row["method"], row["net"]) == ("2026-03-02", "Mobile money", "700.00")


@pytest.mark.parametrize("name", ["collections", "claims", "revenue"])
def test_each_period_report_opens_with_no_filters_and_nothing_to_show(name, client_for):
    response = client_for("admin").get(reverse(f"billing_reports:{name}"))

    assert response.status_code == 200
    assert "Download CSV" in response.content.decode()


# --- hostile filters -------------------------------------------------------------------------

NOT_A_DATE = "Enter a date as dd/mm/yyyy (or yyyy-mm-dd)."
BAD_FILTERS = [
    ("collections", {"date_from": "2026-13-01"}, "date_from", NOT_A_DATE),
    ("revenue", {"date_from": "yesterday"}, "date_from", NOT_A_DATE),
    ("claims", {"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to",
     "The end of the period is before its start."),
    ("collections", {"date_from": "2020-01-01", "date_to": "2026-01-01"}, "date_to",
     "Choose a period of at most 366 days."),
    ("revenue", {"date_to": "9" * 10_000}, "date_to", NOT_A_DATE),
    ("aging", {"as_of": "0001-01-01"}, "as_of", "Enter a date between 2000-01-01 and 2100-12-31."),
    ("aging", {"as_of": "2026-02-30"}, "as_of", NOT_A_DATE),
    ("aging", {"as_of": "2026-06-30\x00"}, "as_of", NOT_A_DATE),
]  # fmt: skip


@pytest.mark.parametrize(("name", "params", "field", "message"), BAD_FILTERS)
def test_a_bad_filter_is_a_400_naming_the_field(
    name, params, field, message, client_for, api_client_for
):
    page = client_for("billing_clerk").get(reverse(f"billing_reports:{name}"), params)
    api = api_client_for("billing_clerk").get(
        reverse("billing-report", kwargs={"name": name}), params
    )

    assert page.status_code == 400
    assert message in page.content.decode()
    assert "Download CSV" not in page.content.decode()
    assert api.status_code == 400
    assert api.json()["field"] == field
    assert message in api.json()["detail"]


def test_a_download_with_a_bad_filter_is_the_form_again(client_for):
    response = client_for("cashier").get(AGING, {"as_of": "soon", "format": "xlsx"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_an_unknown_report_is_404(api_client_for):
    response = api_client_for("admin").get(reverse("billing-report", kwargs={"name": "payroll"}))

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_other_roles_may_not_read_the_reports(client_for, api_client_for):
    assert client_for("nurse").get(AGING).status_code == 403
    api = api_client_for("doctor").get(reverse("billing-report", kwargs={"name": "aging"}))
    assert api.status_code == 403


def test_a_name_a_spreadsheet_would_run_is_written_as_text():
    columns = [Column("name", "Patient", TEXT), Column("total", "Total", MONEY)]
    rows = [{"name": '=HYPERLINK("x")', "total": Decimal("1.00")}]
    report = Report("aging", "Aging", "KES", {}, [Table("patients", "Patients", columns, rows)])

    lines = list(csv.reader(io.StringIO(as_csv(report))))
    assert lines[1] == ['\'=HYPERLINK("x")', "1.00"]
