"""The billing reports' selectors over data made through the services: collections net
of refunds on the facility's days, receivables in their age buckets, claims by status
and denial reason, revenue by department and doctor."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from hms.billing import services
from hms.billing.reports.selectors import (
    claims_summary,
    daily_collections,
    receivables_aging,
    revenue_by_department,
)
from hms.billing.services import claims, insurance
from hms.billing.services.corrections import issue_credit_note
from hms.billing.services.remittances import import_remittance
from hms.billing.tests.claim_helpers import payer_and_plan
from hms.billing.tests.payment_helpers import final_invoice_for
from hms.billing.tests.remittance_helpers import an_835, payment
from hms.core.errors import NotPermitted
from hms.patients.testing import registered

NAIROBI = zoneinfo.ZoneInfo("Africa/Nairobi")
AS_OF = dt.date(2026, 6, 30)


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An instant on the facility's (Nairobi's) clock."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NAIROBI)


def invoice_on(when: dt.datetime, clerk, patient, *, blood_counts: int = 2):
    """A final invoice (1,000 + 928 per blood count) finalised at `when`."""
    with time_machine.travel(when, tick=False):
        return final_invoice_for(clerk, patient, blood_counts=blood_counts)


def pay(when: dt.datetime, cashier, invoice, amount: str, method: str = "card", ref: str = ""):
    with time_machine.travel(when, tick=False):
        return services.take_payment(
            actor=cashier, invoice=invoice, amount=amount, method=method, reference=ref
        )


def rows_by(table, key: str) -> dict:
    return {row[key]: row for row in table.rows}


# --- collections -------------------------------------------------------------------------


@pytest.fixture
def till(facility, tariff, clerk, cashier, supervisor, patient):
    """On 2 March (Nairobi): 1,000 cash and 500 by card taken by the cashier; at 01:30
    on 3 March (22:30 UTC on the 2nd) 300 cash; that afternoon 200 refunded by card by
    the supervisor. A payment on 5 March lies outside the period asked for."""
    first = invoice_on(at(dt.date(2026, 3, 2), 8), clerk, patient)
    with time_machine.travel(at(dt.date(2026, 3, 2), 8, 30), tick=False):
        services.open_shift(actor=cashier, facility=facility, opening_float="100")
    pay(at(dt.date(2026, 3, 2), 10), cashier, first, "1000", "cash")
    pay(at(dt.date(2026, 3, 2), 11), cashier, first, "500", "card", "SLIP-1")
    pay(at(dt.date(2026, 3, 3), 1, 30), cashier, first, "300", "cash")
    with time_machine.travel(at(dt.date(2026, 3, 3), 15), tick=False):
        services.refund_invoice(
            actor=supervisor, invoice=first, amount="200", method="card",
            reference="RF-1", reason="Charged twice",
        )  # fmt: skip
    pay(at(dt.date(2026, 3, 5), 9), cashier, first, "100", "card", "SLIP-2")
    return first


def test_collections_are_net_of_refunds_per_facility_day_cashier_and_method(
    till, facility, cashier, supervisor
):
    report = daily_collections(
        viewer=supervisor,
        facility=facility,
        date_from=dt.date(2026, 3, 1),
        date_to=dt.date(2026, 3, 4),
    )

    table = report.table("collections")
    got = [
        (r["day"], r["cashier"], r["method"], r["received"], r["refunded"], r["net"])
        for r in table.rows
    ]
    who, boss = (
        cashier.get_full_name() or cashier.username,
        supervisor.get_full_name() or supervisor.username,
    )
    assert got == [
        (dt.date(2026, 3, 2), who, "Card", Decimal("500.00"), Decimal("0.00"), Decimal("500.00")),
        (dt.date(2026, 3, 2), who, "Cash", Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00")),
        (dt.date(2026, 3, 3), boss, "Card", Decimal("0.00"), Decimal("200.00"), Decimal("-200.00")),
        (dt.date(2026, 3, 3), who, "Cash", Decimal("300.00"), Decimal("0.00"), Decimal("300.00")),
    ]  # fmt: skip
    assert table.totals == {
        "payments": 3, "received": Decimal("1800.00"), "refunds": 1,
        "refunded": Decimal("200.00"), "net": Decimal("1600.00"),
    }  # fmt: skip
    assert report.currency == "KES"


def test_a_payment_late_in_the_evening_counts_on_the_facility_day(till, facility, supervisor):
    only_the_3rd = daily_collections(
        viewer=supervisor,
        facility=facility,
        date_from=dt.date(2026, 3, 3),
        date_to=dt.date(2026, 3, 3),
    )

    assert only_the_3rd.table("collections").totals["received"] == Decimal("300.00")
    assert only_the_3rd.table("collections").totals["net"] == Decimal("100.00")


# --- receivables aging ---------------------------------------------------------------------


@pytest.fixture
def plan(facility, supervisor, tariff):
    return payer_and_plan(supervisor, facility, tariff)[1]


@pytest.fixture
def receivables(facility, tariff, clerk, cashier, supervisor, patient, plan):
    """Aged to 30 June: one invoice in each bucket, the bucket edges on the facility's
    clock, and invoices that owe nothing, or were finalised after the day."""
    other = registered(facility)
    today = invoice_on(at(AS_OF, 9), clerk, patient)  # 0 days, 2,856 less 1,000 paid
    pay(at(AS_OF, 10), cashier, today, "1000", "card", "SLIP-A")
    # 23:30 in Nairobi on 31 May is 20:30 UTC: 30 days old, still 0-30
    invoice_on(at(dt.date(2026, 5, 31), 23, 30), clerk, other)  # 2,856
    older = invoice_on(at(dt.date(2026, 5, 30), 23, 30), clerk, other, blood_counts=1)  # 31 days
    with time_machine.travel(at(dt.date(2026, 6, 2)), tick=False):  # 1,928 less 28 credited
        issue_credit_note(actor=supervisor, invoice=older, amount="28", reason="Rounding")
    invoice_on(at(dt.date(2026, 4, 1)), clerk, patient, blood_counts=0)  # 90 days: 1,000
    invoice_on(at(dt.date(2026, 3, 31)), clerk, other, blood_counts=1)  # 91 days: 1,928
    settled = invoice_on(at(dt.date(2026, 3, 5)), clerk, patient, blood_counts=0)
    pay(at(dt.date(2026, 3, 6)), cashier, settled, "1000", "card", "SLIP-B")
    invoice_on(at(dt.date(2026, 7, 1), 0, 30), clerk, patient)  # after the day
    return patient, other


def test_receivables_fall_into_buckets_by_facility_days_since_finalised(
    receivables, facility, clerk
):
    report = receivables_aging(viewer=clerk, facility=facility, as_of=AS_OF)

    buckets = rows_by(report.table("buckets"), "bucket")
    owed = {label: (r["invoices"], r["patients"], r["payers"]) for label, r in buckets.items()}
    assert owed == {
        "0-30": (2, Decimal("4712.00"), Decimal("0.00")),
        "31-60": (1, Decimal("1900.00"), Decimal("0.00")),
        "61-90": (1, Decimal("1000.00"), Decimal("0.00")),
        "90+": (1, Decimal("1928.00"), Decimal("0.00")),
    }
    assert report.table("buckets").totals["total"] == Decimal("9540.00")
    assert report.filters == {"as_of": AS_OF}


def test_top_debtors_are_ranked_with_their_buckets(receivables, facility, clerk):
    patient, other = receivables

    report = receivables_aging(viewer=clerk, facility=facility, as_of=AS_OF, top=1)

    (first,) = report.table("patients").rows
    assert (first["mrn"], first["invoices"]) == (other.mrn, 3)
    assert (first["d0_30"], first["d31_60"], first["d61_90"], first["d90_plus"]) == (
        Decimal("2856.00"), Decimal("1900.00"), Decimal("0.00"), Decimal("1928.00"),
    )  # fmt: skip
    assert first["total"] == Decimal("6684.00")
    assert report.table("payers").rows == []


def remit(clerk, plan, *payments, trace: str = "EFT-0001"):
    """The payer's 835 for `payments`, imported as the remittance service does."""
    import_remittance(actor=clerk, payer=plan.payer, content=an_835(*payments, trace=trace))


def test_a_covered_invoice_splits_what_is_owed_between_patient_and_payer(
    facility, clerk, cashier, patient, plan
):
    insurance.add_coverage(
        actor=clerk, patient=patient, plan=plan, member_id="AAR-1", valid_from=dt.date(2026, 1, 1)
    )
    # 2,856.00: the patient's part 465.60, the payer's 2,390.40
    recent = invoice_on(at(dt.date(2026, 6, 20)), clerk, patient)
    pay(at(dt.date(2026, 6, 21)), cashier, recent, "400", "card", "SLIP-C")
    older = invoice_on(at(dt.date(2026, 5, 1)), clerk, patient)
    built = [
        claims.build_claim(actor=clerk, invoice=invoice, diagnosis_codes=["J06.9"])
        for invoice in (recent, older)
    ]
    recent_claim, older_claim = claims.submit_claims(actor=clerk, claims=built)
    # The older claim paid in full; the recent one 1,000 paid and 90.40 written off.
    remit(
        clerk, plan, payment(older_claim, older_claim.amount),
        payment(recent_claim, 1000, ("CO", "45", "90.40"), number="PCN-2"),
    )  # fmt: skip

    report = receivables_aging(viewer=clerk, facility=facility, as_of=AS_OF)

    buckets = rows_by(report.table("buckets"), "bucket")
    assert (buckets["0-30"]["patients"], buckets["0-30"]["payers"]) == (
        Decimal("65.60"), Decimal("1300.00"),
    )  # fmt: skip
    assert (buckets["31-60"]["patients"], buckets["31-60"]["payers"]) == (
        Decimal("465.60"), Decimal("0.00"),
    )  # fmt: skip
    (payer,) = report.table("payers").rows
    assert (payer["code"], payer["invoices"], payer["d0_30"], payer["total"]) == (
        "AAR", 1, Decimal("1300.00"), Decimal("1300.00"),
    )  # fmt: skip


def test_reports_need_the_billing_view_permission(facility, make_user):
    nurse = make_user("nurse")

    with pytest.raises(NotPermitted):
        receivables_aging(viewer=nurse, facility=facility, as_of=AS_OF)


# --- claims --------------------------------------------------------------------------------


def test_claims_are_counted_by_status_and_denial_reason(facility, tariff, clerk, plan):
    made = []
    for index in range(4):
        patient = registered(facility)
        insurance.add_coverage(
            actor=clerk, patient=patient, plan=plan, member_id=f"AAR-{index}",
            valid_from=dt.date(2026, 1, 1),
        )  # fmt: skip
        invoice = invoice_on(at(dt.date(2026, 6, 10)), clerk, patient, blood_counts=index)
        with time_machine.travel(at(dt.date(2026, 6, 11)), tick=False):
            made.append(claims.build_claim(actor=clerk, invoice=invoice, diagnosis_codes=["J06.9"]))
    first, second, third, draft = made
    sent = claims.submit_claims(actor=clerk, claims=[first, second, third])
    first, second, third = sorted(sent, key=lambda c: c.amount)
    # The payer's answers: two denied (one with two reason codes), one paid.
    remit(
        clerk, plan,
        payment(first, 0, ("CO", "16", first.amount), status="4", number="PCN-1"),
        payment(second, 0, ("CO", "16", "10"), ("CO", "197", second.amount - 10), status="4",
                number="PCN-2"),
        payment(third, third.amount, number="PCN-3"),
    )  # fmt: skip

    report = claims_summary(
        viewer=clerk, facility=facility, date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 30)
    )

    statuses = {
        r["status"]: (r["claims"], r["amount"], r["paid"]) for r in report.table("statuses").rows
    }
    denied = first.amount + second.amount
    assert statuses["Denied"] == (2, denied, Decimal("0.00"))
    assert statuses["Paid"] == (1, third.amount, third.amount)
    assert statuses["Draft"] == (1, draft.amount, Decimal("0.00"))
    assert statuses["Submitted"] == (0, Decimal("0.00"), Decimal("0.00"))
    totals = report.table("statuses").totals
    assert (totals["claims"], totals["amount"]) == (4, sum(c.amount for c in made))
    reasons = [(r["code"], r["claims"], r["amount"]) for r in report.table("reasons").rows]
    assert reasons == [("CO-16", 2, denied), ("CO-197", 1, second.amount)]
    empty = claims_summary(
        viewer=clerk, facility=facility, date_from=dt.date(2026, 7, 1), date_to=dt.date(2026, 7, 1)
    )
    assert empty.table("statuses").totals["claims"] == 0
    assert empty.table("reasons").rows == []


# --- revenue -------------------------------------------------------------------------------


def test_revenue_is_summed_per_department_and_doctor_of_the_visit(
    facility, tariff, clerk, supervisor, patient, make_user
):
    from hms.encounters.models import Encounter
    from hms.staff.inputs import PractitionerInput
    from hms.staff.services import add_practitioner

    doctor = add_practitioner(
        actor=make_user("admin"),
        facility=facility,
        data=PractitionerInput(title="Dr", given_name="Amina", family_name="Otieno"),
    )
    opd = facility.departments.get(code="OPD")
    visit = Encounter.objects.create(
        facility=facility, patient=patient, department=opd, practitioner=doctor,
        arrived_at=at(dt.date(2026, 3, 2), 8),
    )  # fmt: skip
    for item, source in [("CONS", "rev:1"), ("FBC", "rev:2")]:
        services.capture_charge(
            actor=clerk, patient=patient, encounter=visit, item_code=item, source=source,
            service_date=dt.date(2026, 3, 2),
        )  # fmt: skip
    with time_machine.travel(at(dt.date(2026, 3, 2), 17), tick=False):
        draft = services.draft_invoice(actor=clerk, patient=patient)
        billed = services.finalise_invoice(actor=clerk, invoice=draft)
    with time_machine.travel(at(dt.date(2026, 3, 9)), tick=False):
        issue_credit_note(actor=supervisor, invoice=billed, amount="100", reason="Goodwill")
    with time_machine.travel(at(dt.date(2026, 4, 2)), tick=False):  # booked in April
        issue_credit_note(actor=supervisor, invoice=billed, amount="50", reason="Goodwill")
    invoice_on(at(dt.date(2026, 3, 3)), clerk, registered(facility), blood_counts=0)  # no visit
    invoice_on(at(dt.date(2026, 4, 1)), clerk, patient)  # outside the period

    report = revenue_by_department(
        viewer=clerk, facility=facility, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31)
    )

    departments = [
        (r["department"], r["lines"], r["tax"], r["billed"], r["credited"], r["net"])
        for r in report.table("departments").rows
    ]
    assert departments == [
        ("Outpatients", 2, Decimal("128.00"), Decimal("1928.00"), Decimal("100.00"),
         Decimal("1828.00")),
        ("No department", 1, Decimal("0.00"), Decimal("1000.00"), Decimal("0.00"),
         Decimal("1000.00")),
    ]  # fmt: skip
    doctors = [(r["doctor"], r["net"]) for r in report.table("doctors").rows]
    assert doctors == [("Dr Amina Otieno", Decimal("1828.00")), ("No doctor", Decimal("1000.00"))]
    assert report.table("departments").totals["net"] == Decimal("2828.00")
    assert report.table("departments").totals["credited"] == Decimal("100.00")
