"""Remittances: the payers' 835 payment advice, uploaded by the billing clerk and
posted to the claims it answers; each remittance's page shows what every claim payment
did, and the lines that matched none of our claims."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import claim_selectors, insurance_selectors
from hms.billing.services.remittances import MAX_FILE_BYTES, UNMATCHED, import_remittance
from hms.billing.web.common import place_error
from hms.billing.web.forms import RemittanceUploadForm
from hms.core.errors import DomainError, NotFound

ROWS = 100


def _form(request: HttpRequest, data=None, files=None) -> RemittanceUploadForm:
    payers = insurance_selectors.payers(viewer=request.user, facility=request.facility)
    return RemittanceUploadForm(data, files, payers=payers.order_by("code"))


def _list_page(request: HttpRequest, form: RemittanceUploadForm, status: int = 200):
    found = (
        claim_selectors.remittances(viewer=request.user, facility=request.facility)
        .annotate(
            matched=Count("claims", filter=Q(claims__claim__isnull=False)),
            unmatched=Count("claims", filter=Q(claims__claim__isnull=True)),
        )
        .order_by("-received_at", "-id")[:ROWS]
    )
    context = {
        "remittances": found,
        "form": form,
        "uploads": account_policies.has_permission(
            request.user, Perm.MANAGE_INVOICES, request.facility
        ),
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
    }
    return render(request, "billing/remittances.html", context, status=status)


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def remittances(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _form(request))


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def upload(request: HttpRequest) -> HttpResponse:
    """Import an 835 and land on what it posted; the same file again posts nothing."""
    form = _form(request, request.POST, request.FILES)
    status = 400
    if form.is_valid():
        code, sent = form.cleaned_data["payer"], form.cleaned_data["file"]
        payer = insurance_selectors.payers(viewer=request.user, facility=request.facility)
        try:
            result = import_remittance(
                actor=request.user,
                payer=payer.filter(code=code).first() if code else None,
                facility=request.facility,
                # One byte past the limit is enough for the service to refuse it.
                content=sent.read(MAX_FILE_BYTES + 1),
                file_name=sent.name or "",
            )
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            return _imported(request, result)
    return _list_page(request, form, status=status)


def _imported(request: HttpRequest, result) -> HttpResponse:
    if result.already_imported:
        traces = ", ".join(r.trace_number for r in result.already_imported)
        messages.warning(request, f"Already imported (trace {traces}): nothing posted again.")
    if result.postings:
        unmatched = sum(1 for p in result.postings if p.outcome == UNMATCHED)
        messages.success(
            request,
            f"Posted {len(result.postings) - unmatched} claim payment(s); {unmatched} unmatched.",
        )
    if len(result.remittances) == 1:
        return redirect("billing:remittance", external_id=result.remittances[0].external_id)
    return redirect("billing:remittances")


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def remittance(request: HttpRequest, external_id) -> HttpResponse:
    try:
        found = claim_selectors.remittance_of(
            viewer=request.user, facility=request.facility, external_id=external_id
        )
    except NotFound:
        raise Http404("No such remittance.") from None
    lines = list(found.claims.all())
    context = {
        "remittance": found,
        "matched": [line for line in lines if line.claim_id],
        "unmatched": [line for line in lines if not line.claim_id],
    }
    return render(request, "billing/remittance.html", context, status=200)
