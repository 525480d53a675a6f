"""Insurance claims for the billing clerk: the worklist by payer and status with each
draft's problems, a claim built from a final invoice, the claim's page with what can
be done in its state (acknowledge, correct), and a payer's ready drafts exported as
one file to download."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts import policies as account_policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import claim_selectors, insurance_selectors
from hms.billing.models import Claim, Payer
from hms.billing.services import claims as services
from hms.billing.web.common import invoice_or_404, place_error
from hms.billing.web.forms import (
    AcknowledgeClaimForm,
    BuildClaimForm,
    ClaimFilterForm,
    CorrectClaimForm,
    ExportClaimsForm,
)
from hms.billing.web.invoice import invoice_page
from hms.core.errors import DomainError, NotFound

ROWS = 200
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
FORMATS = {
    "x12": ("837P", "x12", "application/edi-x12"),
    "fhir": ("FHIR", "json", "application/fhir+json"),
}
# What the clerk may still do with a claim in each state.
ACKNOWLEDGEABLE = {Claim.Status.SUBMITTED}
CORRECTABLE = {Claim.Status.REJECTED, Claim.Status.DENIED}


def refuse(request: HttpRequest, form, exc: DomainError) -> None:
    """The service's refusal on the field it names; one of the whole action (the
    claim's or the invoice's state) above the page, where the form may not be shown."""
    if (exc.field or "") in form.fields:
        place_error(form, exc)
    else:
        messages.error(request, exc.message)


def claim_or_404(request: HttpRequest, external_id) -> Claim:
    try:
        return claim_selectors.claim_of(
            viewer=request.user, facility=request.facility, external_id=external_id
        )
    except NotFound:
        raise Http404("No such claim.") from None


def _money(total: Decimal | None) -> Decimal:
    # SQLite sums decimals as floats: back to cents.
    return (total or ZERO).quantize(CENT)


def _counts(found) -> list[dict]:
    """Per status, in the order of its life: how many claims, asked for and paid."""
    by_status = {
        row["status"]: row
        for row in found.order_by()
        .values("status")
        .annotate(n=Count("id"), amount=Sum("amount"), paid=Sum("paid_amount"))
    }
    return [
        {
            "status": value,
            "label": label,
            "n": by_status.get(value, {}).get("n", 0),
            "amount": _money(by_status.get(value, {}).get("amount")),
            "paid": _money(by_status.get(value, {}).get("paid")),
        }
        for value, label in Claim.Status.choices
    ]


def _exportable(request: HttpRequest, export_form: ExportClaimsForm | None) -> list[dict]:
    """Each payer with drafts, and the form that exports them (with its errors, when it
    was the one just refused)."""
    drafts = (
        claim_selectors.claims(
            viewer=request.user, facility=request.facility, status=Claim.Status.DRAFT
        )
        .order_by()
        .values("payer__code", "payer__name")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by("payer__code")
    )
    refused = export_form.data.get("payer") if export_form is not None else None
    return [
        {
            **row,
            "amount": _money(row["amount"]),
            "form": export_form
            if row["payer__code"] == refused
            else ExportClaimsForm(initial={"payer": row["payer__code"]}),
        }
        for row in drafts
    ]


def worklist_context(request: HttpRequest, export_form: ExportClaimsForm | None = None) -> dict:
    user, facility = request.user, request.facility
    payers = insurance_selectors.payers(viewer=user, facility=facility).order_by("code")
    form = ClaimFilterForm(request.GET, payers=payers, statuses=Claim.Status.choices)
    context = {"form": form, "rows": [], "counts": []}
    if not form.is_valid():
        return context
    payer, status = form.cleaned_data["payer"], form.cleaned_data["status"]
    of_payer = claim_selectors.claims(viewer=user, facility=facility, payer=payer)
    found = of_payer.filter(status=status) if status else of_payer
    found = found.select_related("coverage__plan")[:ROWS]
    context.update(
        payer=payer,
        status=status,
        counts=_counts(of_payer),
        rows=[
            (c, services.validate_claim(c) if c.status == Claim.Status.DRAFT else []) for c in found
        ],
        manages=account_policies.has_permission(user, Perm.MANAGE_INVOICES, facility),
        exportable=_exportable(request, export_form),
    )
    return context


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def worklist(request: HttpRequest) -> HttpResponse:
    context = worklist_context(request)
    status = 400 if context["form"].errors else 200
    return render(request, "billing/claims.html", context, status=status)


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def export(request: HttpRequest) -> HttpResponse:
    """Submit a payer's ready drafts and send them back as one file to download."""
    form = ExportClaimsForm(request.POST)
    status = 400
    if form.is_valid():
        payer = Payer.objects.filter(
            facility=request.facility, code=form.cleaned_data["payer"]
        ).first()
        if payer is None:
            form.add_error("payer", "No such payer.")
        else:
            try:
                done = services.export_claims(
                    actor=request.user, payer=payer, file_format=form.cleaned_data["format"]
                )
            except DomainError as exc:
                place_error(form, exc)
                status = exc.status
            else:
                return _download(request, payer, form.cleaned_data["format"], done)
    context = worklist_context(request, export_form=form)
    context["export_refused"] = form
    return render(request, "billing/claims.html", context, status=status)


def _download(request: HttpRequest, payer: Payer, file_format: str, done) -> HttpResponse:
    kind, extension, content_type = FORMATS[file_format]
    day = timezone.localdate(timezone=zoneinfo.ZoneInfo(payer.facility.timezone))
    name = f"{payer.code}-{kind}-{day:%Y%m%d}.{extension}"
    messages.success(request, f"Exported {len(done.claims)} claim(s) for {payer.code} as {name}.")
    if done.left_out:
        messages.warning(
            request,
            f"{len(done.left_out)} draft(s) with problems left out: "
            f"{', '.join(sorted(done.left_out))}.",
        )
    response = HttpResponse(done.text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Claims-Submitted"] = str(len(done.claims))
    response["X-Claims-Left-Out"] = str(len(done.left_out))
    return response


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def build(request: HttpRequest, external_id) -> HttpResponse:
    """The claim for an invoice's payer portion, from the invoice page."""
    found = invoice_or_404(request, external_id)
    form = BuildClaimForm(request.POST, prefix="claim")
    status = 400
    if form.is_valid():
        try:
            claim = services.build_claim(
                actor=request.user, invoice=found, diagnosis_codes=form.codes()
            )
        except DomainError as exc:
            refuse(request, form, exc)
            status = exc.status
        else:
            messages.success(request, f"Claim {claim.control_number} drafted.")
            return redirect("billing:claim", external_id=claim.external_id)
    return invoice_page(request, found, status=status, claim_form=form)


def claim_page(request: HttpRequest, claim: Claim, status: int = 200, **forms) -> HttpResponse:
    manages = account_policies.has_permission(request.user, Perm.MANAGE_INVOICES, request.facility)
    context = {
        "claim": claim,
        "invoice": claim.invoice,
        "patient": claim.invoice.patient,
        "problems": services.validate_claim(claim) if claim.status == Claim.Status.DRAFT else [],
        "postings": claim.remittances.all(),
        "acknowledgeable": manages and claim.status in ACKNOWLEDGEABLE,
        "correctable": manages and claim.status in CORRECTABLE,
        "acknowledge_form": forms.get("acknowledge_form") or AcknowledgeClaimForm(),
        "correct_form": forms.get("correct_form")
        or CorrectClaimForm(initial={"diagnosis_codes": ", ".join(claim.diagnosis_codes)}),
    }
    return render(request, "billing/claim.html", context, status=status)


@never_cache
@require_GET
@permission_required(Perm.VIEW_BILLING)
def claim(request: HttpRequest, external_id) -> HttpResponse:
    return claim_page(request, claim_or_404(request, external_id))


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def acknowledge(request: HttpRequest, external_id) -> HttpResponse:
    found = claim_or_404(request, external_id)
    form = AcknowledgeClaimForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = services.acknowledge_claim(
                actor=request.user,
                claim=found,
                accepted=data["outcome"] == "accepted",
                reason=data["reason"],
                payer_claim_number=data["payer_claim_number"],
            )
        except DomainError as exc:
            refuse(request, form, exc)
            status = exc.status
        else:
            messages.success(
                request, f"Claim {done.control_number} {done.get_status_display().lower()}."
            )
            return redirect("billing:claim", external_id=found.external_id)
    return claim_page(request, found, status=status, acknowledge_form=form)


@require_POST
@permission_required(Perm.MANAGE_INVOICES)
def correct(request: HttpRequest, external_id) -> HttpResponse:
    """Back to draft with the codes given, for the next export."""
    found = claim_or_404(request, external_id)
    form = CorrectClaimForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            done = services.correct_claim(
                actor=request.user, claim=found, diagnosis_codes=form.codes()
            )
        except services.ClaimHasProblems as exc:
            for problems in exc.problems.values():
                for problem in problems:
                    form.add_error(None, problem.detail)
            status = exc.status
        except DomainError as exc:
            refuse(request, form, exc)
            status = exc.status
        else:
            messages.success(
                request, f"Claim {done.control_number} is a draft again (attempt {done.attempt})."
            )
            return redirect("billing:claim", external_id=found.external_id)
    return claim_page(request, found, status=status, correct_form=form)
