"""The cashier's loop in a browser, with its action count: open the shift, find the
patient, take a split payment (cash and card) on their final invoice, land on the
receipts and print them; the invoice shows paid."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

# From the sign-in to the printed receipts: the Billing menu (1), the float and Enter
# (2), the MRN and Enter (2), the invoice (1), cash, handed over, card and its slip
# number and Enter (5), print (1).
CASHIER_TARGET = 12
# Beside the data of the run when it names a data directory, else with the others.
SHOTS = (
    Path(os.environ["HMS_DATA_DIR"]) / "shots"
    if "HMS_DATA_DIR" in os.environ
    else Path(__file__).parent / "screenshots"
)


def report(line: str) -> None:
    """Show a measured action count in the test output (pytest -s); the README quotes it."""
    print(f"\n{line}")  # noqa: T201


@pytest.fixture
def shoot(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return lambda name: page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def final_invoice(facility, make_user):
    """Baraka Mwangi's final invoice of 2,856.00 KES: a consultation and two blood
    counts, made through the services."""
    from hms.billing import services
    from hms.patients.testing import registered

    clerk, supervisor = make_user("billing_clerk"), make_user("admin")
    self_pay = services.add_price_list(
        actor=supervisor, facility=facility, code="CASH", name="Cash", kind="self_pay"
    )
    for code, name, kind, amount, tax in [
        ("CONS", "Consultation", "consultation", "1000", "0"),
        ("FBC", "Full blood count", "lab", "800", "16"),
    ]:
        item = services.add_billable_item(
            actor=supervisor, facility=facility, code=code, name=name, kind=kind
        )
        services.set_price(
            actor=supervisor,
            item=item,
            price_list=self_pay,
            amount=Decimal(amount),
            tax_rate=Decimal(tax),
            valid_from=dt.date(2026, 1, 1),
        )
    patient = registered(facility, given_name="Baraka", family_name="Mwangi")
    for n, code in enumerate(["CONS", "FBC", "FBC"]):
        services.capture_charge(actor=clerk, patient=patient, item_code=code, source=f"e2e:{n}")
    invoice = services.draft_invoice(actor=clerk, patient=patient)
    return services.finalise_invoice(actor=clerk, invoice=invoice)


def test_a_cashier_takes_a_split_payment_and_prints_the_receipts(
    page, actions, sign_in, site, make_user, final_invoice, shoot
):
    make_user("cashier", username="wanjiku")
    # The print dialog would block a headless browser: count the calls instead.
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    sign_in("wanjiku")
    expect(page.get_by_role("link", name=re.compile("^Billing g b"))).to_be_visible()
    actions.reset()

    # When the cashier opens the desk and the shift, with the cursor in the float
    actions.click(page.get_by_role("link", name=re.compile("^Billing g b")))
    expect(page.get_by_label("Opening float")).to_be_focused()
    shoot("01-desk-no-shift")
    actions.fill(page.get_by_label("Opening float"), "1000")
    actions.press("Enter")
    expect(page.get_by_text("Shift opened.")).to_be_visible()

    # and finds the patient by MRN
    box = page.get_by_label("Find a patient, an invoice or a receipt")
    expect(box).to_be_focused()
    actions.fill(box, final_invoice.patient.mrn)
    actions.press("Enter")
    expect(page.get_by_role("heading", name="Baraka Mwangi")).to_be_visible()
    shoot("02-account")
    actions.click(page.get_by_role("link", name=final_invoice.number))

    # and splits 2,856.00 into 2,000 cash (2,500 handed over) and 856 by card
    cash = page.get_by_label("Cash", exact=True)
    expect(cash).to_be_focused()
    expect(cash).to_have_value("2856.00")
    actions.fill(cash, "2000")
    actions.fill(page.get_by_label("Handed over"), "2500")
    actions.fill(page.get_by_label("Card", exact=True), "856")
    actions.fill(page.get_by_label("Terminal slip no."), "TRM-0042")
    shoot("03-invoice-take-payment")
    actions.press("Enter")

    # Then the receipts open with the change, and print at once
    expect(page.get_by_test_id("change")).to_contain_text("500.00 KES")
    numbers = page.get_by_test_id("receipt-number")
    expect(numbers).to_have_count(2)
    print_button = page.get_by_role("button", name=re.compile("Print receipts"))
    expect(print_button).to_be_focused()
    shoot("04-receipt")
    actions.press("Enter")
    assert page.evaluate("window.__printed") == 1
    report(f"take a split payment and print: {actions.count} actions from sign-in")
    assert actions.count <= CASHIER_TARGET

    # and each receipt's PDF is the receipt
    first = numbers.first.inner_text()
    pdf = page.request.get(site(page.get_by_test_id("receipt-pdf").first.get_attribute("href")))
    assert pdf.headers["content-type"] == "application/pdf"
    assert first in pdf.headers["content-disposition"]
    assert pdf.body().startswith(b"%PDF")

    # and the invoice is paid
    page.get_by_role("link", name=re.compile("^Invoice")).click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    expect(page.get_by_test_id("balance")).to_have_text("0.00 KES")
    shoot("05-invoice-paid")
    page.goto(site("/billing/shift/"))
    expect(page.get_by_role("heading", name=re.compile("^Shift"))).to_be_visible()
    shoot("06-shift")
