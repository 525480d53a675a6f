"""An invoice at the till: its lines and balance, the payer's and the patient's
portions, and what can be done to it: discount and finalise a draft, take a (split)
payment, apply the deposit, refund, print."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import payment_selectors, services
from hms.billing.models import Claim, Invoice
from hms.billing.web.common import invoice_or_404, place_error
from hms.billing.web.forms import (
    REFERENCE_LABELS,
    TILL_METHODS,
    ApplyDepositForm,
    BuildClaimForm,
    CreditNoteForm,
    DiscountForm,
    RefundForm,
    SplitPaymentForm,
    VoidForm,
)
from hms.core.errors import DomainError, NotPermitted

REFUND_NEEDS_SUPERVISOR = (
    "A refund needs a supervisor: it takes both the right to take payments and the "
    "right to approve discounts, so no cashier refunds alone what they took. Ask a "
    "supervisor to make it."
)


def payment_form(invoice: Invoice, data=None) -> SplitPaymentForm:
    due = payment_selectors.patient_due(invoice)
    return SplitPaymentForm(
        data,
        balance=invoice.balance,
        currency=invoice.currency,
        initial={"cash": due if due else None},
    )


def invoice_context(request: HttpRequest, invoice: Invoice, **forms) -> dict:
    user, facility = request.user, request.facility
    can = {
        perm: account_policies.has_permission(user, perm, facility)
        for perm in (Perm.MANAGE_INVOICES, Perm.TAKE_PAYMENT, Perm.APPROVE_DISCOUNT)
    }
    pay = forms.get("payment_form") or payment_form(invoice)
    claim = Claim.objects.filter(invoice=invoice).first()
    return {
        "invoice": invoice,
        "patient": invoice.patient,
        "lines": invoice.lines.order_by("position"),
        "allocations": invoice.allocations.select_related("payment").order_by("allocated_at"),
        "refunds": payment_selectors.refunds_of(viewer=user, facility=facility, invoice=invoice),
        "deposit": payment_selectors.deposit_balance(patient=invoice.patient),
        "due": payment_selectors.patient_due(invoice),
        "payer_due": payment_selectors.payer_due(invoice),
        "refundable": invoice.amount_paid - invoice.amount_refunded,
        "payable": invoice.status == Invoice.Status.FINAL and invoice.balance > 0,
        "can_manage": can[Perm.MANAGE_INVOICES],
        "takes_payment": can[Perm.TAKE_PAYMENT],
        "approves": can[Perm.APPROVE_DISCOUNT],
        "payment_form": pay,
        "payment_rows": [
            (pay[m.value], pay[f"{m.value}_reference"] if m in REFERENCE_LABELS else None)
            for m in TILL_METHODS
        ],
        "discount_form": forms.get("discount_form") or DiscountForm(),
        "refund_form": forms.get("refund_form") or RefundForm(),
        "apply_form": forms.get("apply_form") or ApplyDepositForm(prefix="apply"),
        "correctable": invoice.status == Invoice.Status.FINAL and can[Perm.MANAGE_INVOICES],
        "credit_form": forms.get("credit_form") or CreditNoteForm(prefix="credit"),
        "void_form": forms.get("void_form") or VoidForm(prefix="void"),
        # The payer's portion of a final invoice is claimed once.
        "claim": claim,
        "claimable": claim is None
        and can[Perm.MANAGE_INVOICES]
        and invoice.status in (Invoice.Status.FINAL, Invoice.Status.PAID)
        and bool(invoice.coverage_id and invoice.payer_amount),
        "claim_form": forms.get("claim_form") or BuildClaimForm(prefix="claim"),
    }


def invoice_page(request: HttpRequest, invoice: Invoice, status: int = 200, **forms):
    return render(
        request, "billing/invoice.html", invoice_context(request, invoice, **forms), status=status
    )


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def invoice(request: HttpRequest, external_id) -> HttpResponse:
    return invoice_page(request, invoice_or_404(request, external_id))


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def pdf(request: HttpRequest, external_id) -> HttpResponse:
    found = invoice_or_404(request, external_id)
    # ReportLab loads only when a document is printed, not with every server.
    from hms.billing import printing

    content = printing.print_invoice(actor=request.user, invoice=found)
    return pdf_response(content, found.number or "draft-invoice")


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def discount(request: HttpRequest, external_id) -> HttpResponse:
    found = invoice_or_404(request, external_id)
    form = DiscountForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.apply_discount(
                actor=request.user,
                invoice=found,
                reason=data["reason"],
                percent=data["percent"],
                amount=data["amount"],
            )
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            messages.success(request, "Discount applied.")
            return redirect("billing:invoice", external_id=found.external_id)
    return invoice_page(request, found, status=status, discount_form=form)


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def finalise(request: HttpRequest, external_id) -> HttpResponse:
    found = invoice_or_404(request, external_id)
    try:
        final = services.finalise_invoice(actor=request.user, invoice=found)
    except DomainError as exc:
        messages.error(request, exc.message)
        return invoice_page(request, found, status=exc.status)
    messages.success(request, f"Finalised as {final.number}.")
    return redirect("billing:invoice", external_id=found.external_id)


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def apply_deposit(request: HttpRequest, external_id) -> HttpResponse:
    found = invoice_or_404(request, external_id)
    form = ApplyDepositForm(request.POST, prefix="apply")
    status = 400
    if form.is_valid():
        try:
            settled = services.apply_deposit(
                actor=request.user, invoice=found, amount=form.cleaned_data["amount"]
            )
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                f"Deposit applied; the balance is {settled.balance:,.2f} {settled.currency}.",
            )
            return redirect("billing:invoice", external_id=found.external_id)
    return invoice_page(request, found, status=status, apply_form=form)


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def refund(request: HttpRequest, external_id) -> HttpResponse:
    """Money back on the invoice; the service asks for a supervisor as well."""
    found = invoice_or_404(request, external_id)
    form = RefundForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            given = services.refund_invoice(
                actor=request.user,
                invoice=found,
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
                reason=data["reason"],
            )
        except NotPermitted as exc:
            form.add_error(None, exc.message if exc.field else REFUND_NEEDS_SUPERVISOR)
            status = exc.status
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request, f"Refund {given.number}: {given.amount:,.2f} {given.currency} given back."
            )
            return redirect("billing:invoice", external_id=found.external_id)
    return invoice_page(request, found, status=status, refund_form=form)
