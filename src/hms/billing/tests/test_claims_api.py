"""Claims and remittances over REST: build, list, read with postings, problems,
export as a download, acknowledge, correct; upload an 835 as a file or as the body,
200 with the same remittance when sent again, 400 naming the problem for a bad file."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hms.billing import x12
from hms.billing.models import Claim, Remittance
from hms.billing.services import insurance
from hms.billing.tests.claim_helpers import START, covered_claim, payer_and_plan
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.billing.tests.remittance_helpers import an_835, payment, submitted_claim
from hms.patients.testing import registered

CLAIMS = "/api/v1/billing/claims/"
REMITTANCES = "/api/v1/billing/remittances/"


@pytest.fixture
def clerk_api(api_client_for):
    return api_client_for("billing_clerk")


@pytest.fixture
def payer_plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)


def test_build_list_read_and_check_a_claim(facility, clerk, clerk_api, payer_plan):
    _, plan = payer_plan
    patient = registered(facility)
    insurance.add_coverage(
        actor=clerk, patient=patient, plan=plan, member_id="M-1", valid_from=START
    )
    invoice = final_invoice_for(clerk, patient)

    built = clerk_api.post(
        CLAIMS, {"invoice": str(invoice.external_id), "diagnosis_codes": []}, format="json"
    )

    assert built.status_code == 201, built.json()
    claim = built.json()
    assert (claim["status"], claim["amount"], claim["attempt"]) == (
        "draft",
        f"{invoice.payer_amount:.2f}",
        1,
    )
    problems = clerk_api.get(f"{CLAIMS}{claim['id']}/problems/").json()["problems"]
    assert [(p["code"], p["field"]) for p in problems] == [("MISSING_DIAGNOSIS", "diagnosis_codes")]
    listed = clerk_api.get(CLAIMS, {"status": "draft", "payer": "AAR"}).json()
    assert [c["id"] for c in listed] == [claim["id"]]
    assert clerk_api.get(CLAIMS, {"status": "paid"}).json() == []
    assert clerk_api.get(CLAIMS, {"created_from": "2999-01-01"}).json() == []
    bad = clerk_api.get(CLAIMS, {"status": "nope"})
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


def test_building_from_an_unknown_invoice_is_400(clerk_api, payer_plan):
    response = clerk_api.post(CLAIMS, {"invoice": str(uuid.uuid4())}, format="json")

    assert response.status_code == 400
    assert response.json()["field"] == "invoice"
    assert Claim.objects.count() == 0


def test_export_downloads_the_837_and_submits(facility, clerk, clerk_api, payer_plan):
    _, plan = payer_plan
    claim = covered_claim(clerk, registered(facility), plan)

    response = clerk_api.post(f"{CLAIMS}export/", {"payer": "AAR", "format": "x12"}, format="json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/edi-x12"
    assert response["Content-Disposition"].startswith('attachment; filename="claims-AAR-')
    assert x12.validate_837(response.content.decode()).ok
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    again = clerk_api.post(f"{CLAIMS}export/", {"payer": "AAR", "format": "x12"}, format="json")
    assert again.status_code == 409
    unknown = clerk_api.post(f"{CLAIMS}export/", {"payer": "ZZZ", "format": "x12"}, format="json")
    assert (unknown.status_code, unknown.json()["field"]) == (400, "payer")


def test_acknowledge_and_correct(facility, clerk, clerk_api, payer_plan):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)
    url = f"{CLAIMS}{claim.external_id}/"

    no_reason = clerk_api.post(f"{url}acknowledge/", {"accepted": False}, format="json")
    rejected = clerk_api.post(
        f"{url}acknowledge/", {"accepted": False, "reason": "Unknown member"}, format="json"
    )
    corrected = clerk_api.post(f"{url}correct/", {"diagnosis_codes": ["E11.9"]}, format="json")

    assert (no_reason.status_code, no_reason.json()["field"]) == (400, "reason")
    assert rejected.json()["status"] == "rejected"
    assert corrected.status_code == 200, corrected.json()
    assert (corrected.json()["status"], corrected.json()["attempt"]) == ("draft", 2)
    assert corrected.json()["diagnosis_codes"] == ["E11.9"]
    twice = clerk_api.post(f"{url}correct/", {}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "CLAIM_NOT_CORRECTABLE")


def test_upload_an_835_then_again(facility, clerk, clerk_api, payer_plan):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)
    text = an_835(payment(claim, claim.amount))

    first = clerk_api.post(
        REMITTANCES, text, content_type="application/edi-x12", QUERY_STRING="payer=AAR"
    )
    upload = SimpleUploadedFile("eft.835", text.encode(), content_type="text/plain")
    second = clerk_api.post(REMITTANCES, {"file": upload, "payer": "AAR"}, format="multipart")

    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["already_imported"] is False
    assert [(p["outcome"], p["paid"]) for p in body["postings"]] == [
        ("paid", f"{claim.amount:.2f}")
    ]
    assert second.status_code == 200, second.json()
    assert second.json()["already_imported"] is True
    assert second.json()["remittances"][0]["id"] == body["remittances"][0]["id"]
    assert Remittance.objects.count() == 1
    detail = clerk_api.get(f"{CLAIMS}{claim.external_id}/").json()
    assert detail["status"] == "paid"
    assert [r["trace_number"] for r in detail["remittances"]] == ["EFT-0001"]
    remittance = clerk_api.get(f"{REMITTANCES}{body['remittances'][0]['id']}/").json()
    assert [line["claim"] for line in remittance["claims"]] == [str(claim.external_id)]
    assert [r["trace_number"] for r in clerk_api.get(REMITTANCES).json()] == ["EFT-0001"]


@pytest.mark.parametrize(
    "content",
    [b"garbage", b"ISA*00*broken~", b"ISA" + b"*" * 10_500_000],
)
def test_a_bad_upload_is_400_and_saves_nothing(facility, clerk, clerk_api, payer_plan, content):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)

    response = clerk_api.post(
        REMITTANCES, content, content_type="application/edi-x12", QUERY_STRING="payer=AAR"
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("INVALID_835", "file")
    assert Remittance.objects.count() == 0
    assert Claim.objects.get(pk=claim.pk).paid_amount == 0


def test_an_upload_without_a_file_or_over_the_amount(facility, clerk, clerk_api, payer_plan):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)

    empty = clerk_api.post(REMITTANCES, {"payer": "AAR"}, format="multipart")
    over = clerk_api.post(
        REMITTANCES,
        an_835(payment(claim, claim.amount + 1)),
        content_type="text/plain",
        QUERY_STRING="payer=AAR",
    )

    assert (empty.status_code, empty.json()["field"]) == (400, "file")
    assert (over.status_code, over.json()["code"]) == (409, "OVERPOSTED")
    assert Remittance.objects.count() == 0


def test_a_cashier_of_another_facility_sees_no_claim(
    facility, other_facility, clerk, api_client_for, payer_plan
):
    _, plan = payer_plan
    claim = submitted_claim(clerk, facility, plan)
    outsider = api_client_for("billing_clerk", at=other_facility)

    assert outsider.get(f"{CLAIMS}{claim.external_id}/").status_code in (403, 404)
    assert outsider.get(CLAIMS).status_code in (200, 403)
