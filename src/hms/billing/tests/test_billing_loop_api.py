"""The whole money loop through the REST doors, as the desk, the billing office and
the cashier drive it: a covered patient walks in (the consultation is charged), a test
is charged to the visit, the invoice is finalised with the payer's and the patient's
parts, the patient pays theirs split over two methods, the payer's part is claimed in
an X12 837P batch, and the payer's 835 pays the claim, posted once."""

from decimal import Decimal

import pytest

from hms.billing import x12
from hms.billing.models import Claim, Invoice, Remittance
from hms.billing.tests.claim_helpers import payer_and_plan
from hms.billing.tests.remittance_helpers import an_835, payment
from hms.encounters.models import Encounter
from hms.staff.models import Practitioner

API = "/api/v1"
BILLING = f"{API}/billing"


@pytest.fixture
def doctor(facility, tariff):
    doctor = Practitioner.objects.create(
        facility=facility, given_name="Amina", family_name="Hassan", search_name="amina hassan"
    )
    doctor.specialties.add(tariff.specialty)
    return doctor


def ok(response, status=200):
    assert response.status_code == status, response.content[:500]
    return response.json() if "json" in response.get("Content-Type", "") else response


def test_visit_charge_invoice_payment_claim_remittance(
    tariff,
    supervisor,
    facility,
    patient,
    doctor,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    desk, clerk, cashier = (api_client_for(r) for r in ("receptionist", "billing_clerk", "cashier"))
    payer, _ = payer_and_plan(supervisor, facility, tariff)
    ok(
        clerk.post(
            f"{BILLING}/coverages/",
            {
                "patient": str(patient.external_id),
                "payer": payer.code,
                "plan": "GOLD",
                "member_id": "AAR-0012-3456",
                "valid_from": "2026-01-01",
            },
            format="json",
        ),
        201,
    )

    # The desk checks the patient in; billing charges the consultation after commit.
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            desk.post(
                f"{API}/queue/walk-ins/",
                {
                    "patient": str(patient.external_id),
                    "department": "OPD",
                    "practitioner": str(doctor.external_id),
                },
                format="json",
            ),
            201,
        )
    visit = Encounter.objects.get(patient=patient)
    charged = ok(clerk.get(f"{BILLING}/charges/", {"patient": str(patient.external_id)}))
    assert [c["item"] for c in charged] == ["CONS-PAED"]

    # The laboratory's test is charged to the visit, then everything is invoiced.
    ok(
        clerk.post(
            f"{BILLING}/charges/",
            {
                "patient": str(patient.external_id),
                "encounter": str(visit.external_id),
                "item_code": "FBC",
                "source": f"lab:{visit.external_id}:fbc",
            },
            format="json",
        ),
        201,
    )
    draft = ok(
        clerk.post(f"{BILLING}/invoices/", {"patient": str(patient.external_id)}, format="json"),
        201,
    )
    invoice = ok(clerk.post(f"{BILLING}/invoices/{draft['id']}/finalise/", {}, format="json"))
    patient_part, payer_part = Decimal(invoice["patient_amount"]), Decimal(invoice["payer_amount"])
    assert patient_part + payer_part == Decimal(invoice["total"])
    assert payer_part > 0

    # The patient pays their part, split over cash and mobile money, in one request.
    ok(cashier.post(f"{BILLING}/shifts/", {"opening_float": "0"}, format="json"), 201)
    cash = (patient_part / 2).quantize(Decimal("1"))
    receipts = ok(
        cashier.post(
            f"{BILLING}/payments/split/",
            {
                "invoice": invoice["id"],
                "parts": [
                    {"method": "cash", "amount": str(cash)},
                    {
                        "method": "mobile_money",
                        "amount": str(patient_part - cash),
                        "reference": "MPESA-QX71",
                    },
                ],
            },
            format="json",
        ),
        201,
    )
    assert len({r["receipt_number"] for r in receipts}) == 2

    # The payer's part is claimed and sent in an 837P batch that pyx12 accepts.
    claim = ok(
        clerk.post(
            f"{BILLING}/claims/",
            {"invoice": invoice["id"], "diagnosis_codes": ["J06.9"]},
            format="json",
        ),
        201,
    )
    assert Decimal(claim["amount"]) == payer_part
    batch = ok(
        clerk.post(f"{BILLING}/claims/export/", {"payer": "AAR", "format": "x12"}, format="json")
    )
    assert batch["X-Claims-Submitted"] == "1"
    assert x12.validate_837(batch.content.decode()).ok

    # The payer's 835 pays it; the same file again posts nothing.
    remit = an_835(payment(Claim.objects.get(), payer_part))
    upload = f"{BILLING}/remittances/?payer=AAR"
    ok(clerk.post(upload, remit, content_type="application/octet-stream"), 201)
    ok(clerk.post(upload, remit, content_type="application/octet-stream"), 200)

    paid = ok(clerk.get(f"{BILLING}/claims/{claim['id']}/"))
    assert (paid["status"], Decimal(paid["paid_amount"])) == ("paid", payer_part)
    assert Remittance.objects.count() == 1
    settled = Invoice.objects.get(external_id=invoice["id"])
    assert settled.amount_paid == patient_part
