"""The cashier's desk: one box finds a patient (MRN, name, phone), an invoice or a
receipt by its number; beside it the cashier's shift and the bills waiting to be
paid."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import payment_selectors, policies, selectors
from hms.billing.models import Invoice, Payment
from hms.billing.web.common import is_htmx
from hms.billing.web.forms import DeskSearchForm, OpenShiftForm
from hms.patients import selectors as patient_selectors
from hms.patients import services as patient_services

RESULTS = 20
WAITING = 10


def _by_number(request: HttpRequest, query: str) -> str | None:
    """The page of the invoice or receipt with this number, if there is one."""
    number = query.strip().upper()
    invoice = Invoice.objects.filter(facility=request.facility, number=number).first()
    if invoice is not None:
        return reverse("billing:invoice", args=[invoice.external_id])
    payment = Payment.objects.filter(facility=request.facility, receipt_number=number).first()
    if payment is not None:
        return reverse("billing:receipt", args=[payment.external_id])
    return None


def search_context(request: HttpRequest) -> dict:
    form = DeskSearchForm(request.GET)
    context = {"form": form, "query": "", "page": None}
    if not form.is_valid():
        context["error"] = f"Find: {form.errors['q'][0]}"
        return context
    query = form.cleaned_data["q"]
    context["query"] = query
    if query:
        context["found_at"] = _by_number(request, query)
        context["page"] = patient_selectors.search_patients(
            viewer=request.user, facility=request.facility, query=query, limit=RESULTS
        )
        patient_services.record_patient_reads(
            actor=request.user, patients=context["page"].results, what="billing search"
        )
    return context


@never_cache
@require_GET
@vary_on_headers("HX-Request")
@permission_required(Perm.VIEW_BILLING)
def desk(request: HttpRequest) -> HttpResponse:
    context = search_context(request)
    status = 400 if context.get("error") else 200
    if is_htmx(request):
        return render(request, "billing/_results.html", context, status=status)
    # Enter in the box: a number or a single patient opens at once.
    if context.get("found_at"):
        return redirect(context["found_at"])
    page = context["page"]
    if page is not None and len(page.results) == 1:
        return redirect("billing:account", external_id=page.results[0].external_id)
    context.update(till_context(request))
    context["waiting"] = (
        selectors.invoices_of(
            viewer=request.user, facility=request.facility, status=Invoice.Status.FINAL
        )
        .select_related("patient")
        .order_by("-finalised_at")[:WAITING]
    )
    return render(request, "billing/desk.html", context, status=status)


def till_context(request: HttpRequest, open_form: OpenShiftForm | None = None) -> dict:
    """The viewer's shift, or the form that opens one, for those who take payments."""
    if not policies.can_take_payment(request.user, request.facility):
        return {"takes_payment": False}
    shift = payment_selectors.current_shift(viewer=request.user, facility=request.facility)
    return {
        "takes_payment": True,
        "shift": shift,
        "open_form": open_form or OpenShiftForm(initial={"opening_float": "0.00"}),
    }
