"""Credit notes, voids and discarded drafts: a final invoice never changes, it is
corrected beside itself, and nothing is half-saved when a correction is refused."""

import re
from decimal import Decimal

import pytest

from hms.billing import services
from hms.billing.errors import BillingErrorCode
from hms.billing.models import Charge, Claim, CreditNote, Invoice
from hms.core.errors import Conflict, InvalidInput, NotPermitted


@pytest.fixture
def till(cashier, facility):
    return services.open_shift(actor=cashier, facility=facility, opening_float="0")


def test_a_credit_note_takes_part_of_the_balance_off_spread_over_the_lines(
    final_invoice, supervisor
):
    note = services.issue_credit_note(
        actor=supervisor, invoice=final_invoice, amount="856.00", reason="Test repeated in error"
    )

    final_invoice.refresh_from_db()
    assert re.fullmatch(r"RGH-CN-\d{4}-000001", note.number)
    assert final_invoice.amount_credited == Decimal("856.00")
    assert final_invoice.balance == Decimal("2000.00")
    assert final_invoice.status == Invoice.Status.FINAL
    assert final_invoice.total == Decimal("2856.00")  # the invoice itself is unchanged
    parts = sorted(line.amount for line in note.lines.all())
    assert sum(parts) == Decimal("856.00")
    assert len(parts) == 3  # every line of the invoice carries a part


def test_credit_notes_are_numbered_without_gaps(final_invoice, supervisor):
    numbers = [
        services.issue_credit_note(
            actor=supervisor, invoice=final_invoice, amount="100", reason="Goodwill"
        ).number
        for _ in range(3)
    ]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]


def test_crediting_everything_owed_settles_the_invoice(final_invoice, supervisor):
    services.issue_credit_note(
        actor=supervisor, invoice=final_invoice, amount="2856.00", reason="Charity waiver"
    )
    final_invoice.refresh_from_db()
    assert (final_invoice.status, final_invoice.balance) == (Invoice.Status.PAID, Decimal(0))


def test_a_credit_above_the_balance_is_refused_and_nothing_saved(
    final_invoice, supervisor, cashier, till
):
    services.take_payment(
        actor=cashier, invoice=final_invoice, amount="2000", method="cash", reference=""
    )
    with pytest.raises(InvalidInput) as exc:
        services.issue_credit_note(
            actor=supervisor, invoice=final_invoice, amount="856.01", reason="Too much"
        )
    assert (exc.value.code, exc.value.field) == (BillingErrorCode.CREDIT_ABOVE_BALANCE, "amount")
    assert CreditNote.objects.count() == 0
    final_invoice.refresh_from_db()
    assert final_invoice.amount_credited == 0


@pytest.mark.parametrize(
    "amount", ["-5", "0", "abc", 1.5, "1e9", "0.001", None, "'; DROP TABLE x;--", "9" * 400]
)
def test_a_credit_of_a_bad_amount_names_the_field(final_invoice, supervisor, amount):
    with pytest.raises(InvalidInput) as exc:
        services.issue_credit_note(
            actor=supervisor, invoice=final_invoice, amount=amount, reason="x"
        )
    assert exc.value.field == "amount"
    assert CreditNote.objects.count() == 0


def test_a_credit_needs_a_reason_and_a_supervisor(final_invoice, supervisor, clerk):
    with pytest.raises(InvalidInput) as exc:
        services.issue_credit_note(actor=supervisor, invoice=final_invoice, amount="1", reason="")
    assert exc.value.field == "reason"
    with pytest.raises(NotPermitted):
        services.issue_credit_note(actor=clerk, invoice=final_invoice, amount="1", reason="x")
    assert CreditNote.objects.count() == 0


def test_a_draft_is_not_credited_but_discarded(tariff, clerk, patient, supervisor):
    services.capture_charge(actor=clerk, patient=patient, item_code="CONS", source="s1")
    draft = services.draft_invoice(actor=clerk, patient=patient)
    with pytest.raises(Conflict) as exc:
        services.issue_credit_note(actor=supervisor, invoice=draft, amount="1", reason="x")
    assert exc.value.code == BillingErrorCode.INVOICE_NOT_CREDITABLE

    services.discard_draft(actor=clerk, invoice=draft)

    assert not Invoice.objects.filter(pk=draft.pk).exists()
    charge = Charge.objects.get(source="s1")
    assert (charge.invoice_id, charge.status) == (None, Charge.Status.BILLABLE)
    assert services.draft_invoice(actor=clerk, patient=patient).total == Decimal("1000.00")


def test_discarding_a_final_invoice_is_refused(final_invoice, clerk):
    with pytest.raises(Conflict) as exc:
        services.discard_draft(actor=clerk, invoice=final_invoice)
    assert exc.value.code == BillingErrorCode.INVOICE_NOT_DRAFT
    assert Invoice.objects.filter(pk=final_invoice.pk).exists()


def test_voiding_frees_the_charges_keeps_the_number_and_refuses_payments(
    final_invoice, supervisor, clerk, cashier, till, patient
):
    number = final_invoice.number
    services.void_invoice(actor=supervisor, invoice=final_invoice, reason="Wrong patient")

    final_invoice.refresh_from_db()
    assert (final_invoice.status, final_invoice.number) == (Invoice.Status.VOID, number)
    assert final_invoice.void_reason == "Wrong patient"
    assert set(Charge.objects.values_list("status", "invoice")) == {(Charge.Status.BILLABLE, None)}
    with pytest.raises(Conflict) as exc:
        services.take_payment(
            actor=cashier, invoice=final_invoice, amount="10", method="cash", reference=""
        )
    assert exc.value.code == BillingErrorCode.INVOICE_NOT_PAYABLE
    again = services.finalise_invoice(
        actor=clerk, invoice=services.draft_invoice(actor=clerk, patient=patient)
    )
    assert again.total == Decimal("2856.00")
    assert again.number != number


def test_an_invoice_with_money_on_it_is_refunded_before_it_is_voided(
    final_invoice, supervisor, cashier, till
):
    services.take_payment(
        actor=cashier, invoice=final_invoice, amount="100", method="cash", reference=""
    )
    with pytest.raises(Conflict) as exc:
        services.void_invoice(actor=supervisor, invoice=final_invoice, reason="x")
    assert exc.value.code == BillingErrorCode.INVOICE_NOT_VOIDABLE
    final_invoice.refresh_from_db()
    assert final_invoice.status == Invoice.Status.FINAL


def test_a_void_needs_a_reason_and_a_supervisor(final_invoice, supervisor, clerk):
    with pytest.raises(InvalidInput):
        services.void_invoice(actor=supervisor, invoice=final_invoice, reason="  ")
    with pytest.raises(NotPermitted):
        services.void_invoice(actor=clerk, invoice=final_invoice, reason="x")
    final_invoice.refresh_from_db()
    assert final_invoice.status == Invoice.Status.FINAL


def test_a_claim_with_the_payer_blocks_corrections(final_invoice, supervisor):
    Claim.objects.create(
        facility=final_invoice.facility,
        invoice=final_invoice,
        coverage=_coverage(final_invoice),
        payer=_coverage(final_invoice).plan.payer,
        amount=Decimal("100"),
        currency="KES",
        control_number="C1",
        status=Claim.Status.SUBMITTED,
        submitted_at=final_invoice.finalised_at,
    )
    for correct in (services.void_invoice, _credit):
        with pytest.raises(Conflict) as exc:
            correct(actor=supervisor, invoice=final_invoice, reason="x")
        assert exc.value.code == BillingErrorCode.CLAIM_IN_PROGRESS


def _credit(**kwargs):
    return services.issue_credit_note(amount="1", **kwargs)


def _coverage(invoice):
    from hms.billing.models import Coverage, Payer, Plan

    payer, _ = Payer.objects.get_or_create(
        facility=invoice.facility, code="INS", defaults={"name": "Insurer", "kind": "insurer"}
    )
    plan, _ = Plan.objects.get_or_create(payer=payer, code="GOLD", defaults={"name": "Gold"})
    coverage = Coverage.objects.filter(patient=invoice.patient).first()
    return coverage or Coverage.objects.create(
        facility=invoice.facility,
        patient=invoice.patient,
        plan=plan,
        payer=payer,
        member_id="M1",
        member_id_index="x",
        valid_from=invoice.finalised_at.date(),
    )
