"""The billing clerk's claims loop in a browser: claim the payer's part of a final
insured invoice from the invoice page, export the payer's batch as an 837P file (it
downloads), upload the payer's 835 paying that claim, and see the claim paid."""

from __future__ import annotations

import os
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path("/usr/bin/chromium").exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
    ),
]

SHOTS = (
    Path(os.environ["HMS_DATA_DIR"]) / "shots"
    if "HMS_DATA_DIR" in os.environ
    else Path(__file__).parent / "screenshots"
)


@pytest.fixture
def shoot(page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    return lambda name: page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def insured_invoice(facility, make_user):
    """Neema Otieno's final invoice, with AAR Insurance's Gold plan paying all but the
    co-pay and the co-insurance, made through the services."""
    from hms.billing import services
    from hms.billing.services import insurance
    from hms.billing.tests.claim_helpers import START, payer_and_plan
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
            valid_from=START,
        )
    _, plan = payer_and_plan(supervisor, facility, SimpleNamespace(insurer=self_pay))
    patient = registered(facility, given_name="Neema", family_name="Otieno")
    insurance.add_coverage(
        actor=clerk, patient=patient, plan=plan, member_id="AAR-0012-3456", valid_from=START
    )
    for n, code in enumerate(["CONS", "FBC"]):
        services.capture_charge(actor=clerk, patient=patient, item_code=code, source=f"e2e:{n}")
    invoice = services.draft_invoice(actor=clerk, patient=patient)
    return services.finalise_invoice(actor=clerk, invoice=invoice)


def an_835_paying(claim, folder: Path) -> Path:
    from hms.billing.tests.remittance_helpers import an_835, payment

    path = folder / "aar-eft-0001.835"
    path.write_text(an_835(payment(claim, claim.amount)))
    return path


def test_a_clerk_claims_exports_and_posts_the_payers_remittance(
    page, sign_in, site, make_user, insured_invoice, shoot, tmp_path
):
    from django.utils import timezone

    from hms.billing.models import Claim
    from hms.core.money import format_money

    make_user("billing_clerk", username="amina")
    sign_in("amina")

    # When the clerk opens the invoice by its number from the desk
    page.get_by_role("link", name=re.compile("^Billing g b")).click()
    box = page.get_by_label("Find a patient, an invoice or a receipt")
    box.fill(insured_invoice.number)
    box.press("Enter")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Final")

    # and claims the payer's part with the diagnosis
    page.get_by_label("Diagnosis codes (ICD-10, comma separated)").fill("J06.9")
    shoot("01-invoice-claim")
    page.get_by_role("button", name="Claim the payer's part").click()

    # Then the claim's page shows the draft, ready to leave
    expect(page.get_by_text(re.compile(r"Claim .* drafted\."))).to_be_visible()
    expect(page.get_by_test_id("claim-status")).to_have_text("Draft")
    shoot("02-claim-draft")

    # When the clerk exports AAR's ready drafts as an 837P
    page.get_by_role("link", name=re.compile("^Claims w")).click()
    expect(page.get_by_role("heading", name=re.compile("^Claims"))).to_be_visible()
    shoot("03-worklist")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export AAR").click()
    download = info.value

    # Then the file downloads, an X12 interchange
    zone = zoneinfo.ZoneInfo(insured_invoice.facility.timezone)
    day = timezone.localdate(timezone=zone).strftime("%Y%m%d")
    assert download.suggested_filename == f"AAR-837P-{day}.x12"
    assert Path(download.path()).read_text().startswith("ISA")
    claim = Claim.objects.get()
    assert claim.status == "submitted"

    # When the clerk uploads the payer's 835 paying the claim
    page.goto(site("/billing/remittances/"))
    expect(page.get_by_text("Exported 1 claim(s) for AAR")).to_be_visible()
    page.get_by_label("835 file").set_input_files(str(an_835_paying(claim, tmp_path)))
    shoot("04-remittances-upload")
    page.get_by_role("button", name="Upload and post").click()

    # Then the remittance lists the posting and the claim is paid
    expect(page.get_by_text("Posted 1 claim payment(s); 0 unmatched.")).to_be_visible()
    expect(page.get_by_test_id("posting")).to_have_count(1)
    shoot("05-remittance")
    page.get_by_role("link", name=claim.control_number).click()
    expect(page.get_by_test_id("claim-status")).to_have_text("Paid")
    expect(page.get_by_test_id("claim-paid")).to_have_text(
        format_money(claim.amount, claim.currency)
    )
    shoot("06-claim-paid")
    page.goto(site("/billing/claims/?status=paid"))
    expect(page.get_by_role("link", name=claim.control_number).first).to_be_visible()
    shoot("07-worklist-paid")
