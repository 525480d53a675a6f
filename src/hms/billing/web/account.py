"""A patient's account: what is not billed yet, the invoices and what is left on
them, the deposit held, recent payments; invoicing the unbilled charges in one
action, a charge added by hand, a deposit taken."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import payment_selectors, selectors, services
from hms.billing.models import Charge
from hms.billing.web.common import place_error
from hms.billing.web.forms import ChargeForm, DepositForm
from hms.core.errors import DomainError
from hms.patients import services as patient_services
from hms.patients.web.lookup import patient_or_404

INVOICES_SHOWN = 20
PAYMENTS_SHOWN = 10
ITEMS_OFFERED = 15
# The services name the patient and the item by their own words.
CHARGE_FIELDS = {"item_code": "item", "unit_price": "item"}


def account_context(request: HttpRequest, patient, **forms) -> dict:
    user, facility = request.user, request.facility
    invoices = selectors.invoices_of(viewer=user, facility=facility, patient=patient)
    can = {
        perm: account_policies.has_permission(user, perm, facility)
        for perm in (Perm.CAPTURE_CHARGE, Perm.MANAGE_INVOICES, Perm.TAKE_PAYMENT)
    }
    return {
        "patient": patient,
        "unbilled": selectors.charges_of(viewer=user, facility=facility, patient=patient).filter(
            status=Charge.Status.BILLABLE, invoice__isnull=True
        ),
        "invoices": invoices.order_by("-created_at")[:INVOICES_SHOWN],
        "deposit": payment_selectors.deposit_balance(patient=patient),
        "payments": payment_selectors.payments_of(viewer=user, facility=facility, patient=patient)[
            :PAYMENTS_SHOWN
        ],
        "can_capture": can[Perm.CAPTURE_CHARGE],
        "can_invoice": can[Perm.MANAGE_INVOICES],
        "takes_payment": can[Perm.TAKE_PAYMENT],
        "charge_form": forms.get("charge_form")
        or ChargeForm(initial={"key": uuid.uuid4()}, facility=request.facility),
        "deposit_form": forms.get("deposit_form") or DepositForm(),
    }


def _page(request: HttpRequest, patient, status: int = 200, **forms) -> HttpResponse:
    context = account_context(request, patient, **forms)
    return render(request, "billing/account.html", context, status=status)


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def account(request: HttpRequest, external_id) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    patient_services.record_patient_reads(
        actor=request.user, patients=[patient], what="billing account"
    )
    return _page(request, patient)


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def draft(request: HttpRequest, external_id) -> HttpResponse:
    """Invoice every unbilled charge: the draft opens, ready to finalise."""
    patient = patient_or_404(request, external_id)
    try:
        invoice = services.draft_invoice(actor=request.user, patient=patient)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, patient, status=exc.status)
    messages.success(request, f"Drafted an invoice of {invoice.lines.count()} charges.")
    return redirect("billing:invoice", external_id=invoice.external_id)


@require_POST
@permission_required(Perm.CAPTURE_CHARGE)
def add_charge(request: HttpRequest, external_id) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    form = ChargeForm(request.POST, facility=request.facility)
    if form.is_valid():
        data = form.cleaned_data
        try:
            charge = services.capture_charge(
                actor=request.user,
                patient=patient,
                item_code=data["item"],
                source=f"web:{data['key']}",
                quantity=data["quantity"],
                note=data["note"],
                practitioner=data["practitioner"],
                department=data["department"],
            )
        except DomainError as exc:
            place_error(form, exc, CHARGE_FIELDS)
        else:
            messages.success(request, f"Charged {charge.description} × {charge.quantity:g}.")
            return redirect("billing:account", external_id=patient.external_id)
    return _page(request, patient, status=400, charge_form=form)


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def deposit(request: HttpRequest, external_id) -> HttpResponse:
    """Money on account (an advance at admission): its receipt opens, ready to print."""
    patient = patient_or_404(request, external_id)
    form = DepositForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.take_deposit(
                actor=request.user,
                patient=patient,
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
            )
        except DomainError as exc:
            place_error(form, exc)
        else:
            return redirect("billing:receipt", external_id=payment.external_id)
    return _page(request, patient, status=400, deposit_form=form)


@never_cache
@require_GET
@permission_required(Perm.CAPTURE_CHARGE)
def item_options(request: HttpRequest) -> HttpResponse:
    """The billable items whose code or name matches what is typed, as <option>s of
    the charge form's list."""
    typed = request.GET.get("item", "").strip()[:100]
    items = selectors.billable_items(viewer=request.user, facility=request.facility).filter(
        is_active=True
    )
    if typed:
        items = items.filter(Q(code__istartswith=typed) | Q(name__icontains=typed))
    return render(request, "billing/_item_options.html", {"items": items[:ITEMS_OFFERED]})
