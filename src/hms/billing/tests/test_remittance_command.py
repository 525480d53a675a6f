"""hms claims remit FILE: posts an 835 and says what it did; a second run says the file
was imported already and posts nothing; a bad file is refused with the reason."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from hms.billing.models import Claim, Remittance
from hms.billing.tests.claim_helpers import payer_and_plan
from hms.billing.tests.remittance_helpers import an_835, payment, submitted_claim
from hms.billing.x12_835 import ClaimPayment


def test_remit_posts_and_reports_then_says_already_imported(
    facility, supervisor, clerk, tariff, tmp_path, capsys
):
    _, plan = payer_and_plan(supervisor, facility, tariff)
    paid = submitted_claim(clerk, facility, plan)
    denied = submitted_claim(clerk, facility, plan, given_name="Amani")
    stranger = ClaimPayment("NOT-OURS-1", "1", Decimal(100), Decimal(80))
    path = tmp_path / "eft.835"
    path.write_text(
        an_835(
            payment(paid, paid.amount),
            payment(denied, 0, ("CO", "50", denied.amount), status="4"),
            stranger,
        )
    )

    call_command("claims", "remit", str(path), "--payer", "AAR")

    out = capsys.readouterr().out
    assert f"EFT-0001 from AAR: {paid.amount + 80:.2f} KES" in out
    assert "3 claims: 1 paid, 1 denied, 1 unmatched" in out
    assert f"{paid.amount:.2f} posted to our claims" in out
    assert "unmatched NOT-OURS-1: not one of our claims (charged 100.00, paid 80.00)" in out
    statuses = dict(Claim.objects.values_list("control_number", "status"))
    assert statuses == {paid.control_number: "paid", denied.control_number: "denied"}

    call_command("claims", "remit", str(path))  # the file names its payer

    assert "already imported on" in capsys.readouterr().out
    assert Remittance.objects.count() == 1


def test_remit_refuses_a_bad_file(facility, supervisor, tariff, tmp_path):
    payer_and_plan(supervisor, facility, tariff)
    path = tmp_path / "bad.835"
    path.write_text("ISA*00*nonsense~")

    with pytest.raises(CommandError, match="not a readable X12 interchange"):
        call_command("claims", "remit", str(path), "--payer", "AAR")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("claims", "remit", str(tmp_path / "missing.835"), "--payer", "AAR")
    assert Remittance.objects.count() == 0
