"""The claims pages: the worklist by payer and status with each draft's problems, a
claim drafted from the invoice page, acknowledged and corrected on its page, a payer's
ready drafts exported as a file to download; 835 remittances uploaded, posted once,
and a bad file refused on its field with nothing saved."""

from __future__ import annotations

import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hms.accounts.testing import verified_session
from hms.billing import x12
from hms.billing.models import Claim, Remittance, RemittanceClaim
from hms.billing.services import claims, insurance
from hms.billing.services.remittances import MAX_FILE_BYTES
from hms.billing.tests.claim_helpers import START, covered_claim, payer_and_plan
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.billing.tests.remittance_helpers import an_835, payment, submitted_claim
from hms.patients.testing import registered

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    return verified_session(Client(), user)


@pytest.fixture
def plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)[1]


def claim_url(claim, action: str = "") -> str:
    name = f"billing:claim-{action}" if action else "billing:claim"
    return reverse(name, args=[claim.external_id])


def upload(client, content: bytes, name: str = "era.835"):
    return client.post(
        reverse("billing:remittance-upload"), {"file": SimpleUploadedFile(name, content)}
    )


# --- the worklist --------------------------------------------------------------------


def test_the_worklist_filters_by_payer_and_status_and_counts_each_status(
    clerk, facility, supervisor, tariff, plan
):
    # given a submitted and a draft claim with AAR, and a draft with BBB
    sent = submitted_claim(clerk, facility, plan, given_name="Sent")
    draft = covered_claim(clerk, registered(facility, given_name="Draft"), plan)
    other_plan = payer_and_plan(supervisor, facility, tariff, code="BBB")[1]
    other = covered_claim(clerk, registered(facility, given_name="Other"), other_plan)
    client = signed_in(clerk)

    # when
    everything = client.get(reverse("billing:claims")).content.decode()
    of_aar = client.get(reverse("billing:claims"), {"payer": "AAR"})
    submitted = client.get(reverse("billing:claims"), {"payer": "AAR", "status": "submitted"})

    # then
    assert all(c.control_number in everything for c in (sent, draft, other))
    html = of_aar.content.decode()
    assert sent.control_number in html
    assert draft.control_number in html
    assert other.control_number not in html
    counts = {c["status"]: c["n"] for c in of_aar.context["counts"]}
    assert (counts["draft"], counts["submitted"], counts["paid"]) == (1, 1, 0)
    assert [c.pk for c, _ in submitted.context["rows"]] == [sent.pk]


def test_a_bad_filter_is_a_400_naming_the_field(clerk, plan):
    response = signed_in(clerk).get(reverse("billing:claims"), {"status": "lost"})

    assert response.status_code == 400
    assert "status" in response.context["form"].errors
    assert 'id="id_status"' in response.content.decode()


def test_a_draft_with_problems_shows_them_on_the_worklist_and_its_page(clerk, facility, plan):
    claim = covered_claim(clerk, registered(facility), plan, diagnosis_codes=())
    client = signed_in(clerk)

    worklist = client.get(reverse("billing:claims")).content.decode()
    page = client.get(claim_url(claim)).content.decode()

    assert "Give a diagnosis code." in worklist
    assert "Give a diagnosis code." in page


# --- drafting a claim from the invoice ------------------------------------------------


@pytest.fixture
def insured_invoice(clerk, facility, plan):
    patient = registered(facility)
    insurance.add_coverage(
        actor=clerk, patient=patient, plan=plan, member_id="AAR-0012-3456", valid_from=START
    )
    return final_invoice_for(clerk, patient)


def test_a_clerk_claims_the_payers_part_from_the_invoice_page(clerk, insured_invoice):
    client = signed_in(clerk)
    page = client.get(reverse("billing:invoice", args=[insured_invoice.external_id]))

    response = client.post(
        reverse("billing:claim-build", args=[insured_invoice.external_id]),
        {"claim-diagnosis_codes": "j06.9, E11.9"},
    )

    assert "Claim the payer's part" in page.content.decode()
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == claim_url(claim)
    assert (claim.invoice, claim.diagnosis_codes) == (insured_invoice, ["J06.9", "E11.9"])
    assert claim.amount == insured_invoice.payer_amount
    again = client.get(reverse("billing:invoice", args=[insured_invoice.external_id]))
    assert "Claim the payer's part" not in again.content.decode()
    assert claim.control_number in again.content.decode()


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("J06.9, NOPE", "is not an ICD-10 code"),
        ("J06.9, j06.9", "given twice"),
        (", ".join(f"A0{n}" for n in range(10)) + ", B01, B02, B03", "at most 12"),
        ("", "This field is required"),
        ("J06.9\x00", ""),
        ("A00, " * 60, "at most 200 characters"),
    ],
)
def test_bad_diagnosis_codes_are_refused_on_their_field(clerk, insured_invoice, codes, message):
    response = signed_in(clerk).post(
        reverse("billing:claim-build", args=[insured_invoice.external_id]),
        {"claim-diagnosis_codes": codes},
    )

    assert response.status_code == 400
    assert message in " ".join(response.context["claim_form"].errors["diagnosis_codes"])
    assert 'id="id_claim-diagnosis_codes"' in response.content.decode()
    assert not Claim.objects.exists()


def test_an_uninsured_invoice_has_no_payer_part_to_claim(clerk, final_invoice):
    response = signed_in(clerk).post(
        reverse("billing:claim-build", args=[final_invoice.external_id]),
        {"claim-diagnosis_codes": "J06.9"},
    )

    assert response.status_code == 409
    assert "no payer portion" in response.content.decode()
    assert not Claim.objects.exists()


def test_a_nurse_may_not_claim(make_user, insured_invoice):
    response = signed_in(make_user("nurse")).post(
        reverse("billing:claim-build", args=[insured_invoice.external_id]),
        {"claim-diagnosis_codes": "J06.9"},
    )

    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_unknown_ids_are_404(clerk, plan):
    client = signed_in(clerk)
    nobody = uuid.uuid4()

    assert client.get(reverse("billing:claim", args=[nobody])).status_code == 404
    assert client.get(reverse("billing:remittance", args=[nobody])).status_code == 404
    build = client.post(
        reverse("billing:claim-build", args=[nobody]), {"claim-diagnosis_codes": "J06.9"}
    )
    assert build.status_code == 404
    correct = client.post(reverse("billing:claim-correct", args=[nobody]), {})
    assert correct.status_code == 404
    assert not Claim.objects.exists()


# --- acknowledging and correcting -----------------------------------------------------


def test_a_rejection_needs_a_reason_and_is_recorded_with_it(clerk, facility, plan):
    claim = submitted_claim(clerk, facility, plan)
    client = signed_in(clerk)

    refused = client.post(claim_url(claim, "acknowledge"), {"outcome": "rejected", "reason": ""})
    done = client.post(
        claim_url(claim, "acknowledge"), {"outcome": "rejected", "reason": "Member ID unknown"}
    )

    assert refused.status_code == 400
    assert "Say why" in " ".join(refused.context["acknowledge_form"].errors["reason"])
    assert done.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.status_reason) == ("rejected", "Member ID unknown")
    page = client.get(claim_url(claim)).content.decode()
    assert "Member ID unknown" in page
    assert "Correct and resend" in page


def test_an_acceptance_keeps_the_payers_number(clerk, facility, plan):
    claim = submitted_claim(clerk, facility, plan)

    response = signed_in(clerk).post(
        claim_url(claim, "acknowledge"), {"outcome": "accepted", "payer_claim_number": "P-77"}
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.payer_claim_number) == ("accepted", "P-77")


def test_a_draft_is_not_acknowledged(clerk, facility, plan):
    claim = covered_claim(clerk, registered(facility), plan)

    response = signed_in(clerk).post(claim_url(claim, "acknowledge"), {"outcome": "accepted"})

    assert response.status_code == 409
    assert "only a submitted claim" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "draft"


def test_a_rejected_claim_is_corrected_back_to_draft(clerk, facility, plan):
    claim = submitted_claim(clerk, facility, plan)
    claims.acknowledge_claim(actor=clerk, claim=claim, accepted=False, reason="Wrong code")
    client = signed_in(clerk)

    refused = client.post(claim_url(claim, "correct"), {"diagnosis_codes": "J06.9, 123"})
    done = client.post(claim_url(claim, "correct"), {"diagnosis_codes": "E11.9"})

    assert refused.status_code == 400
    assert "'123' is not an ICD-10 code" in " ".join(
        refused.context["correct_form"].errors["diagnosis_codes"]
    )
    assert done.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.attempt, claim.diagnosis_codes) == ("draft", 2, ["E11.9"])


def test_a_submitted_claim_is_not_corrected(clerk, facility, plan):
    claim = submitted_claim(clerk, facility, plan)

    response = signed_in(clerk).post(claim_url(claim, "correct"), {"diagnosis_codes": "E11.9"})

    assert response.status_code == 409
    claim.refresh_from_db()
    assert (claim.status, claim.attempt) == ("submitted", 1)


# --- exporting ------------------------------------------------------------------------


def test_export_downloads_the_ready_drafts_as_a_valid_837_and_reports_those_left_out(
    clerk, facility, plan
):
    ready = covered_claim(clerk, registered(facility, given_name="Ready"), plan)
    unready = covered_claim(
        clerk, registered(facility, given_name="Unready"), plan, diagnosis_codes=()
    )
    client = signed_in(clerk)

    response = client.post(reverse("billing:claims-export"), {"payer": "AAR", "format": "x12"})

    assert response.status_code == 200
    day = timezone.localdate(timezone=zoneinfo.ZoneInfo(facility.timezone)).strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="AAR-837P-{day}.x12"'
    text = response.content.decode()
    assert text.startswith("ISA")
    assert x12.validate_837(text).ok
    assert f"CLM*{ready.control_number}*" in text
    assert unready.control_number not in text
    assert response["X-Claims-Left-Out"] == "1"
    ready.refresh_from_db()
    unready.refresh_from_db()
    assert (ready.status, unready.status) == ("submitted", "draft")
    after = client.get(reverse("billing:claims")).content.decode()
    assert f"1 draft(s) with problems left out: {unready.control_number}" in after


def test_export_as_fhir_downloads_a_bundle(clerk, facility, plan):
    covered_claim(clerk, registered(facility), plan)

    response = signed_in(clerk).post(
        reverse("billing:claims-export"), {"payer": "AAR", "format": "fhir"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.json"')
    assert b'"resourceType":"Bundle"' in response.content.replace(b" ", b"")


def test_export_with_nothing_ready_says_so(clerk, facility, plan):
    claim = covered_claim(clerk, registered(facility), plan, diagnosis_codes=())

    response = signed_in(clerk).post(
        reverse("billing:claims-export"), {"payer": "AAR", "format": "x12"}
    )

    assert response.status_code == 409
    assert "No draft claim for AAR is ready to export." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "draft"


@pytest.mark.parametrize(
    ("data", "field"),
    [({"payer": "NOPE", "format": "x12"}, "payer"), ({"payer": "AAR", "format": "pdf"}, "format")],
)
def test_a_bad_export_is_refused_on_its_field(clerk, facility, plan, data, field):
    covered_claim(clerk, registered(facility), plan)

    response = signed_in(clerk).post(reverse("billing:claims-export"), data)

    assert response.status_code == 400
    assert field in response.context["export_refused"].errors
    assert Claim.objects.get().status == "draft"


def test_export_without_the_providers_npi_says_what_to_configure(clerk, facility, plan, settings):
    settings.HMS_BILLING_NPI = ""
    claim = covered_claim(clerk, registered(facility), plan)

    response = signed_in(clerk).post(
        reverse("billing:claims-export"), {"payer": "AAR", "format": "x12"}
    )

    assert response.status_code == 409
    assert "HMS_BILLING_NPI" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "draft"


# --- remittances ----------------------------------------------------------------------


def test_an_835_upload_posts_payments_and_denials_once(clerk, facility, plan):
    paid = submitted_claim(clerk, facility, plan, given_name="Paid")
    denied = submitted_claim(clerk, facility, plan, given_name="Denied")
    file = an_835(
        payment(paid, paid.amount),
        payment(denied, "0", ("CO", "50", denied.amount), status="4", number="PCN-2"),
    ).encode()
    client = signed_in(clerk)

    response = upload(client, file)
    page = client.get(response["Location"]).content.decode()
    again = upload(client, file)
    shown = client.get(again["Location"]).content.decode()

    remittance = Remittance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:remittance", args=[remittance.external_id])
    paid.refresh_from_db()
    denied.refresh_from_db()
    assert (paid.status, paid.paid_amount) == ("paid", paid.amount)
    assert (denied.status, denied.denial_reason_codes) == ("denied", ["CO-50"])
    assert "Posted 2 claim payment(s); 0 unmatched." in page
    assert page.count('data-testid="posting"') == 2
    assert "CO-50" in page
    assert again.status_code == 302
    assert RemittanceClaim.objects.count() == 2
    assert "Already imported (trace EFT-0001): nothing posted again." in shown
    listing = client.get(reverse("billing:remittances")).content.decode()
    assert "EFT-0001" in listing


def test_an_835_line_for_no_claim_of_ours_is_listed_unmatched(clerk, facility, plan):
    draft = covered_claim(clerk, registered(facility), plan)
    client = signed_in(clerk)

    response = upload(client, an_835(payment(draft, "10.00")).encode())

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="unmatched"' in page
    draft.refresh_from_db()
    assert (draft.status, draft.paid_amount) == ("draft", Decimal("0.00"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not an 835", ""),
        ("Zahlung \u00fcberwiesen".encode(), "not ASCII"),
        (b"A" * (MAX_FILE_BYTES + 1), "bytes"),
    ],
)
def test_a_bad_file_is_a_400_on_the_file_field_and_saves_nothing(clerk, plan, content, message):
    response = upload(signed_in(clerk), content)

    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert errors
    assert message in " ".join(errors)
    assert 'id="id_file"' in response.content.decode()
    assert not Remittance.objects.exists()


def test_an_upload_without_a_file_names_the_field(clerk, plan):
    response = signed_in(clerk).post(reverse("billing:remittance-upload"), {})

    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not Remittance.objects.exists()


def test_an_835_paying_more_than_the_claim_is_refused_whole(clerk, facility, plan):
    claim = submitted_claim(clerk, facility, plan)

    response = upload(signed_in(clerk), an_835(payment(claim, claim.amount + 1)).encode())

    assert response.status_code == 409
    assert "more than its amount" in " ".join(response.context["form"].errors["file"])
    assert not Remittance.objects.exists()
    claim.refresh_from_db()
    assert (claim.status, claim.paid_amount) == ("submitted", Decimal("0.00"))


def test_a_nurse_may_not_see_or_upload_remittances(make_user, clerk, facility, plan):
    claim = submitted_claim(clerk, facility, plan)
    client = signed_in(make_user("nurse"))

    listing = client.get(reverse("billing:remittances"))
    response = upload(client, an_835(payment(claim, claim.amount)).encode())

    assert listing.status_code == 403
    assert response.status_code == 403
    assert not Remittance.objects.exists()
