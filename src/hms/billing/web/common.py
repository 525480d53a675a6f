"""Shared by the billing pages: the rows a URL names, found in the viewer's facility
(else 404, so ids of another facility cannot be probed), and a service's refusal put
on the form field it names."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest

from hms.billing.models import Invoice, Payment, Shift
from hms.core.errors import DomainError


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def place_error(form: forms.Form, exc: DomainError, aliases: dict | None = None) -> None:
    """The service's message on the field it names (renamed by `aliases`), else on the
    form as a whole."""
    name = (aliases or {}).get(exc.field or "", exc.field)
    form.add_error(name if name in form.fields else None, exc.message)


def invoice_or_404(request: HttpRequest, external_id) -> Invoice:
    found = (
        Invoice.objects.select_related("facility", "patient", "coverage__plan__payer")
        .filter(external_id=external_id, facility=request.facility)
        .first()
    )
    if found is None:
        raise Http404("No such invoice.")
    return found


def payment_or_404(request: HttpRequest, external_id) -> Payment:
    found = (
        Payment.objects.select_related("facility", "patient", "shift")
        .filter(external_id=external_id, facility=request.facility)
        .first()
    )
    if found is None:
        raise Http404("No such receipt.")
    return found


def shift_or_404(request: HttpRequest, external_id) -> Shift:
    found = (
        Shift.objects.select_related("facility", "cashier", "handed_over_to")
        .filter(external_id=external_id, facility=request.facility)
        .first()
    )
    if found is None:
        raise Http404("No such shift.")
    return found
