"""835 remittances posted to claims: paid, partly paid, denied, reversed; unknown
claims kept unmatched; the same file twice posts once; a bad file, a wrong payer or
an overpayment is refused whole, with nothing saved."""

from decimal import Decimal
from pathlib import Path

import pytest

from hms.billing.errors import BillingErrorCode
from hms.billing.models import Claim, Remittance, RemittanceClaim
from hms.billing.services import insurance
from hms.billing.services.remittances import MAX_FILE_BYTES, import_remittance
from hms.billing.tests.claim_helpers import covered_claim, payer_and_plan
from hms.billing.tests.remittance_helpers import an_835, payment, reversal, submitted_claim
from hms.billing.x12_835 import ClaimPayment, validate_835
from hms.core.errors import Conflict, InvalidInput, NotPermitted
from hms.patients.testing import registered

SHARED = Path(__file__).resolve().parents[5] / "shared" / "testdata"
LFH_835 = SHARED / "x12-linuxforhealth" / "835_005010X221A1"
PYX12 = SHARED / "x12-pyx12"


@pytest.fixture
def payer_plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)


@pytest.fixture
def claim(facility, clerk, payer_plan):
    return submitted_claim(clerk, facility, payer_plan[1])


def posted(claim):
    claim.refresh_from_db()
    return (claim.status, claim.paid_amount, claim.adjusted_amount, claim.patient_responsibility)


def test_the_written_835_validates_with_pyx12(claim):
    text = an_835(payment(claim, claim.amount), payment(claim, 0, ("CO", "50", "9"), status="4"))

    assert validate_835(text) == []


def test_a_full_payment_marks_the_claim_paid(clerk, payer_plan, claim):
    payer, _ = payer_plan

    result = import_remittance(
        actor=clerk, payer=payer, content=an_835(payment(claim, claim.amount)), file_name="a.835"
    )

    [remittance] = result.remittances
    assert result.already_imported == []
    assert (remittance.trace_number, remittance.total_paid) == ("EFT-0001", claim.amount)
    assert (remittance.payment_method, remittance.file_name) == ("CHK", "a.835")
    patient_part = claim.invoice.patient_amount
    assert posted(claim) == ("paid", claim.amount, Decimal(0), patient_part)
    assert claim.payer_claim_number == "PCN-1"
    assert claim.denial_reason_codes == []
    [line] = RemittanceClaim.objects.all()
    assert (line.claim, line.paid, line.status_code) == (claim, claim.amount, "1")
    assert line.adjustments == [{"group": "PR", "reason": "3", "amount": str(patient_part)}]
    assert [p.outcome for p in result.postings] == ["paid"]


def test_the_same_file_twice_posts_once(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, claim.amount - 100))
    first = import_remittance(actor=clerk, payer=payer, content=text, file_name="a.835")

    again = import_remittance(actor=clerk, payer=payer, content=text.encode(), file_name="b")

    assert again.already_imported == first.remittances
    assert again.postings == []
    assert Remittance.objects.count() == 1
    assert RemittanceClaim.objects.count() == 1
    assert posted(claim)[:2] == ("partially_paid", claim.amount - 100)


def test_a_cut_payment_is_partial_and_keeps_the_reason(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, claim.amount - 500, ("CO", "45", "200")))

    import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert posted(claim) == (
        "partially_paid",
        claim.amount - 500,
        Decimal(200),
        claim.invoice.patient_amount,
    )
    assert claim.denial_reason_codes == ["CO-45"]


def test_paid_with_a_contractual_write_off_is_paid(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, claim.amount - 300, ("CO", "45", "300")))

    import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert posted(claim)[:3] == ("paid", claim.amount - 300, Decimal(300))
    assert claim.denial_reason_codes == []


def test_a_denial_keeps_the_reason_codes(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, 0, ("CO", "50", claim.amount), status="4"))

    result = import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert posted(claim)[:3] == ("denied", Decimal(0), claim.amount)
    assert claim.denial_reason_codes == ["CO-50"]
    assert "EFT-0001" in claim.status_reason
    assert result.postings[0].outcome == "denied"


def test_nothing_paid_with_adjustments_is_a_denial(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, 0, ("OA", "18", claim.amount)))

    import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert posted(claim)[0] == "denied"
    assert claim.denial_reason_codes == ["OA-18"]


def test_a_reversal_undoes_the_earlier_posting(clerk, payer_plan, claim):
    payer, _ = payer_plan
    first = payment(claim, claim.amount - 300, ("CO", "45", "300"))
    import_remittance(actor=clerk, payer=payer, content=an_835(first), file_name="")

    # The payer takes it back and pays again, less, in its next payment.
    second = payment(claim, claim.amount - 1000, ("CO", "45", "400"), number="PCN-2")
    text = an_835(reversal(first), second, trace="EFT-0002")
    result = import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert [p.outcome for p in result.postings] == ["accepted", "partially_paid"]
    assert posted(claim) == (
        "partially_paid",
        claim.amount - 1000,
        Decimal(400),
        claim.invoice.patient_amount,
    )
    assert claim.payer_claim_number == "PCN-2"
    assert RemittanceClaim.objects.filter(claim=claim).count() == 3


def test_a_reversal_alone_leaves_nothing_posted(clerk, payer_plan, claim):
    payer, _ = payer_plan
    first = payment(claim, claim.amount)
    import_remittance(actor=clerk, payer=payer, content=an_835(first), file_name="")

    text = an_835(reversal(first), trace="EFT-0002")
    import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert posted(claim) == ("accepted", Decimal(0), Decimal(0), Decimal(0))


def test_claims_not_ours_are_kept_unmatched(facility, clerk, payer_plan, claim):
    payer, plan = payer_plan
    draft = covered_claim(clerk, registered(facility, given_name="Amani"), plan)
    stranger = ClaimPayment("NOT-OURS-1", "1", Decimal(100), Decimal(80), Decimal(20))
    text = an_835(payment(claim, claim.amount), stranger, payment(draft, 10))

    result = import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    outcomes = [(p.line.control_number, p.outcome, p.note) for p in result.postings]
    assert outcomes == [
        (claim.control_number, "paid", ""),
        ("NOT-OURS-1", "unmatched", "not one of our claims"),
        (draft.control_number, "unmatched", "the claim was never sent"),
    ]
    kept = RemittanceClaim.objects.get(control_number="NOT-OURS-1")
    assert (kept.claim, kept.charged, kept.paid, kept.patient_responsibility) == (
        None,
        Decimal(100),
        Decimal(80),
        Decimal(20),
    )
    assert posted(draft)[:2] == ("draft", Decimal(0))


def test_the_payer_is_found_from_the_file(facility, clerk, claim):
    result = import_remittance(
        actor=clerk, facility=facility, content=an_835(payment(claim, 100)), file_name=""
    )

    assert result.remittances[0].payer == claim.payer
    assert posted(claim)[:2] == ("partially_paid", Decimal(100))


def nothing_saved(claim):
    assert Remittance.objects.count() == 0
    assert RemittanceClaim.objects.count() == 0
    assert posted(claim) == ("submitted", Decimal(0), Decimal(0), Decimal(0))


def test_more_than_the_claim_amount_is_refused_whole(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, claim.amount + 1))

    with pytest.raises(Conflict) as refused:
        import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    assert refused.value.code == BillingErrorCode.OVERPOSTED
    assert "more than its amount" in refused.value.message
    nothing_saved(claim)


def test_two_payments_adding_up_past_the_amount_are_refused(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, claim.amount - 10), payment(claim, 20))

    with pytest.raises(Conflict):
        import_remittance(actor=clerk, payer=payer, content=text, file_name="")

    nothing_saved(claim)


def test_a_file_from_another_payer_is_refused(facility, supervisor, clerk, tariff, claim):
    other, _ = payer_and_plan(supervisor, facility, tariff, code="JUB")

    with pytest.raises(InvalidInput) as refused:
        import_remittance(
            actor=clerk, payer=other, content=an_835(payment(claim, 100)), file_name=""
        )

    assert (refused.value.code, refused.value.field) == (BillingErrorCode.WRONG_PAYER, "payer")
    assert "AAR01, not JUB" in refused.value.message
    nothing_saved(claim)


def test_a_file_naming_no_payer_of_ours_needs_one(facility, clerk, claim):
    text = an_835(payment(claim, 100), payer_id="ZZZ99")

    with pytest.raises(InvalidInput, match="ZZZ99") as refused:
        import_remittance(actor=clerk, facility=facility, content=text, file_name="")

    assert refused.value.field == "payer"
    nothing_saved(claim)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "does not start with ISA"),
        (b"hello, this is not X12", "does not start with ISA"),
        (b"ISA*00*garbage~", "not a readable X12 interchange"),
        ("ISA*00*ü~".encode(), "not ASCII"),
        (b"ISA" + b"*" * (MAX_FILE_BYTES), "at most"),
    ],
)
def test_garbage_is_refused_naming_the_problem(clerk, payer_plan, claim, content, says):
    payer, _ = payer_plan

    with pytest.raises(InvalidInput, match=says) as refused:
        import_remittance(actor=clerk, payer=payer, content=content, file_name="")

    assert (refused.value.code, refused.value.field) == (BillingErrorCode.INVALID_835, "file")
    nothing_saved(claim)


def test_a_broken_amount_or_trailer_is_refused(clerk, payer_plan, claim):
    payer, _ = payer_plan
    text = an_835(payment(claim, claim.amount))
    amount = f"{claim.amount:.2f}"

    for broken, says in [
        (text.replace(f"*{amount}*", "*12X4*", 1), "BPR02"),
        (text.replace("SE*", "SE*9", 1), "SE count"),
    ]:
        with pytest.raises(InvalidInput, match=says):
            import_remittance(actor=clerk, payer=payer, content=broken, file_name="")
    nothing_saved(claim)


def test_a_clerk_of_another_facility_may_not_import(other_facility, make_user, payer_plan, claim):
    payer, _ = payer_plan
    outsider = make_user("billing_clerk", at=other_facility)

    with pytest.raises(NotPermitted):
        import_remittance(
            actor=outsider, payer=payer, content=an_835(payment(claim, 1)), file_name=""
        )
    nothing_saved(claim)


def clp_rows(text: str) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """The CLPs of a file, read without pyx12: number, charged, paid, patient's part."""
    rows = [seg.strip().split("*") for seg in text.split("~")]
    return [(r[1], Decimal(r[3]), Decimal(r[4]), Decimal(r[5] or 0)) for r in rows if r[0] == "CLP"]


@pytest.mark.skipif(not LFH_835.exists(), reason="shared/testdata/x12-linuxforhealth is not here")
@pytest.mark.parametrize("name", sorted(p.name for p in LFH_835.glob("*.835")) or ["none"])
def test_public_835_samples_are_kept_unmatched_with_their_amounts(
    facility, supervisor, clerk, tariff, name
):
    payer = insurance.add_payer(
        actor=supervisor,
        facility=facility,
        code="PUB",
        name="Public sample payer",
        kind="insurer",
        x12_payer_id="999",  # medicare-part-a.835 names its payer by REF*2U
    )
    text = (LFH_835 / name).read_text()

    result = import_remittance(actor=clerk, payer=payer, content=text, file_name=name)

    [remittance] = result.remittances
    bpr = next(s.strip().split("*") for s in text.split("~") if s.strip().startswith("BPR"))
    assert remittance.total_paid == Decimal(bpr[2])
    assert {p.outcome for p in result.postings} == {"unmatched"}
    kept = [
        (r.control_number, r.charged, r.paid, r.patient_responsibility)
        for r in RemittanceClaim.objects.filter(remittance=remittance, claim=None)
    ]
    assert kept == clp_rows(text)
    assert Claim.objects.count() == 0


@pytest.mark.skipif(not PYX12.exists(), reason="shared/testdata/x12-pyx12 is not here")
def test_pyx12s_samples_are_refused_as_not_835s(facility, clerk, payer_plan):
    payer, _ = payer_plan
    files = sorted(PYX12.glob("*/*.txt"))
    assert files

    for path in files:
        with pytest.raises(InvalidInput) as refused:
            import_remittance(actor=clerk, payer=payer, content=path.read_bytes(), file_name="")
        assert refused.value.field == "file", path.name
    assert Remittance.objects.count() == 0
