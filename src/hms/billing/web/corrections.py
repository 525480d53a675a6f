"""Correcting a final invoice: a credit note off its balance, or a void of one
nothing is paid on. Both need a supervisor; the service says so to anyone else."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing.services import corrections
from hms.billing.web.common import invoice_or_404, place_error
from hms.billing.web.forms import CreditNoteForm, VoidForm
from hms.billing.web.invoice import invoice_page
from hms.core.errors import DomainError, NotPermitted

NEEDS_SUPERVISOR = (
    "Correcting a final invoice needs a supervisor (who also approves discounts); ask "
    "one to make it."
)


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def credit_note(request: HttpRequest, external_id) -> HttpResponse:
    found = invoice_or_404(request, external_id)
    form = CreditNoteForm(request.POST, prefix="credit")
    status = 400
    if form.is_valid():
        try:
            note = corrections.issue_credit_note(
                actor=request.user,
                invoice=found,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _refused(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Credit note {note.number}: {note.amount:,.2f} off.")
            return redirect("billing:invoice", external_id=found.external_id)
    return invoice_page(request, found, status=status, credit_form=form)


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def void(request: HttpRequest, external_id) -> HttpResponse:
    found = invoice_or_404(request, external_id)
    form = VoidForm(request.POST, prefix="void")
    status = 400
    if form.is_valid():
        try:
            corrections.void_invoice(
                actor=request.user, invoice=found, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            _refused(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Invoice {found.number} is void; its charges are unbilled.")
            return redirect("billing:invoice", external_id=found.external_id)
    return invoice_page(request, found, status=status, void_form=form)


def _refused(form, exc: DomainError) -> None:
    if isinstance(exc, NotPermitted) and not exc.field:
        form.add_error(None, NEEDS_SUPERVISOR)
    else:
        place_error(form, exc)
