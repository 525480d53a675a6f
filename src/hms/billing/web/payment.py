"""Taking a payment in one submit, however many methods it is split over, and the
receipt the cashier lands on, ready to print."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import services
from hms.billing.models import Payment, PaymentMethod
from hms.billing.payment_selectors import balances_after
from hms.billing.web.common import invoice_or_404, payment_or_404, place_error
from hms.billing.web.forms import REFERENCE_LABELS
from hms.billing.web.invoice import invoice_page, payment_form, pdf_response
from hms.core.errors import DomainError

MAX_PARTS = len(PaymentMethod)


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def pay(request: HttpRequest, external_id) -> HttpResponse:
    """Take each part (cash, card, ...) on the invoice, all or none: a refused card
    reference leaves the cash untaken too. The receipts open, ready to print."""
    found = invoice_or_404(request, external_id)
    form = payment_form(found, request.POST)
    status = 400
    if form.is_valid():
        taken, status = _take(request, found, form)
        if taken:
            query = {"and": [str(p.external_id) for p in taken[1:]]}
            if form.cleaned_data["tendered"] is not None:
                query["tendered"] = str(form.cleaned_data["tendered"])
            url = reverse("billing:receipt", args=[taken[0].external_id])
            return redirect(f"{url}?{urlencode(query, doseq=True)}")
    return invoice_page(request, found, status=status, payment_form=form)


def _take(request, invoice, form) -> tuple[list[Payment], int]:
    parts = [services.PaymentPart(m, a, r) for m, a, r in form.parts()]
    try:
        taken = services.take_split_payment(actor=request.user, invoice=invoice, parts=parts)
    except DomainError as exc:
        place_error(form, exc, _form_fields(exc.field or "", parts))
        return [], exc.status
    return taken, 201


def _form_fields(field: str, parts: list) -> dict:
    """The service names the part at fault ("parts[1].reference"): its form field is
    the method's amount, or its reference box."""
    if not field.startswith("parts["):
        return {"invoice": None}
    position, _, name = field.removeprefix("parts[").partition("].")
    method = parts[int(position)].method
    if name == "reference" and method in REFERENCE_LABELS:
        return {field: f"{method}_reference"}
    return {field: method}


def _together(request: HttpRequest, first: Payment) -> list[Payment]:
    """The receipt asked for and those taken with it (?and=<id>...), of the same patient."""
    ids = []
    for value in request.GET.getlist("and")[:MAX_PARTS]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    others = Payment.objects.filter(
        facility=request.facility, patient=first.patient, external_id__in=ids
    ).order_by("id")
    return [first, *others]


def _tendered(request: HttpRequest) -> Decimal | None:
    try:
        value = Decimal(request.GET.get("tendered", "")[:20])
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def receipt(request: HttpRequest, external_id) -> HttpResponse:
    first = payment_or_404(request, external_id)
    payments = _together(request, first)
    cash = sum((p.amount for p in payments if p.method == PaymentMethod.CASH), Decimal(0))
    tendered = _tendered(request)
    context = {
        "payments": payments,
        "patient": first.patient,
        "total": sum((p.amount for p in payments), Decimal(0)),
        "currency": first.currency,
        "tendered": tendered if cash and tendered is not None and tendered >= cash else None,
        "change": (tendered - cash) if cash and tendered is not None and tendered >= cash else None,
        "allocations": [
            (p, [(a, balances_after(a)) for a in p.allocations.select_related("invoice")])
            for p in payments
        ],
    }
    return render(request, "billing/receipt.html", context)


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def receipt_pdf(request: HttpRequest, external_id) -> HttpResponse:
    payment = payment_or_404(request, external_id)
    # ReportLab loads only when a document is printed, not with every server.
    from hms.billing import printing

    content = printing.print_receipt(actor=request.user, payment=payment)
    return pdf_response(content, payment.receipt_number)
