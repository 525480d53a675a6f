"""The front desk's search, the patient page with its CRM timeline and photo, and
printing."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError, NotFound
from hms.core.views import private_file
from hms.patients import photos, selectors, services
from hms.patients.models import Patient, PatientIdentifier
from hms.patients.web import forms as f
from hms.patients.web.lookup import patient_or_404

PAGE_SIZE = 20
OUTCOMES = dict(f.ContactLogForm.OUTCOMES)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def search_context(request: HttpRequest) -> dict:
    """What the search box shows for ?q=...&born=...: the results, or why there are none."""
    form = f.SearchForm(request.GET)
    can_register = policies.has_permission(request.user, Perm.REGISTER_PATIENT, request.facility)
    context = {"form": form, "query": "", "born": None, "page": None, "can_register": can_register}
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        context["error"] = f"{form.fields[name].label}: {errors[0]}"
        return context
    query, born = form.cleaned_data["q"] or "", form.cleaned_data["born"]
    number = form.cleaned_data["page"] or 1
    context.update(query=query, born=born, page_number=number)
    if query or born:
        context["page"] = selectors.search_patients(
            viewer=request.user,
            facility=request.facility,
            query=query,
            birth_date=born,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        context.update(_pager(query, born, number, context["page"]))
        context["mrn_warning"] = context["page"].mistyped_mrn
        # Each patient listed is a read of their record, as through the REST and FHIR doors.
        services.record_patient_reads(
            actor=request.user, patients=context["page"].results, what="search"
        )
    return context


def _pager(query: str, born, number: int, page: selectors.SearchPage) -> dict:
    def url(to: int) -> str:
        params = {"q": query, "born": born.isoformat() if born else "", "page": to}
        return reverse("patients:search") + "?" + urlencode(params)

    first = (number - 1) * PAGE_SIZE + 1
    return {
        "shown": f"{first}–{first + len(page.results) - 1}" if page.results else "",
        "previous_url": url(number - 1) if number > 1 else "",
        "next_url": url(number + 1) if page.has_more and number < 500 else "",
    }


def _open_first(context: dict) -> HttpResponse | None:
    """Enter pressed before the live results arrived: open the first match, or the
    registration form with what was typed when nothing matched."""
    page = context["page"]
    if page is not None and page.results:
        return redirect("patients:patient-detail", external_id=page.results[0].external_id)
    if context["query"] and context["can_register"] and not context.get("mrn_warning"):
        return redirect(
            reverse("patients:patient-register") + "?" + urlencode({"q": context["query"]})
        )
    return None


@never_cache
@vary_on_headers("HX-Request")
@permission_required(Perm.VIEW_PATIENT)
def search(request: HttpRequest) -> HttpResponse:
    context = search_context(request)
    if request.GET.get("open") == "first" and (response := _open_first(context)):
        return response
    template = "patients/_results.html" if _is_htmx(request) else "patients/search.html"
    return render(request, template, context, status=400 if context.get("error") else 200)


def _detail_context(
    request: HttpRequest,
    patient: Patient,
    log_form: f.ContactLogForm,
    photo_form: f.PhotoForm | None = None,
) -> dict:
    systems = dict(PatientIdentifier.System.choices)
    user, facility = request.user, request.facility
    return {
        "patient": patient,
        "photo": photos.patient_photo(patient=patient),
        "photo_form": photo_form or f.PhotoForm(),
        "identifiers": [
            (systems.get(i.system, i.system), i.value, i.assigner)
            for i in patient.identifiers.order_by("id")
        ],
        "contacts": list(patient.contacts.order_by("id")),
        "merged_records": list(patient.merged_records.order_by("mrn")),
        "can_edit": policies.has_permission(user, Perm.EDIT_PATIENT, facility),
        **_timeline_context(request, patient, log_form),
    }


def _timeline_context(request: HttpRequest, patient: Patient, log_form: f.ContactLogForm) -> dict:
    entries = selectors.patient_timeline(patient=patient, limit=100)
    return {
        "patient": patient,
        "log_form": log_form,
        "can_log": policies.has_permission(
            request.user, Perm.LOG_PATIENT_CONTACT, request.facility
        ),
        "timeline": [(e, OUTCOMES.get(e.detail.get("outcome", ""), "")) for e in entries],
    }


@never_cache
@permission_required(Perm.VIEW_PATIENT)
def detail(request: HttpRequest, external_id) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    services.record_patient_read(actor=request.user, patient=patient, what="patient page")
    context = _detail_context(request, patient, f.ContactLogForm())
    return render(request, "patients/detail.html", context)


@require_POST
@permission_required(Perm.LOG_PATIENT_CONTACT)
def log_contact(request: HttpRequest, external_id) -> HttpResponse:
    """A call or note on the timeline. From htmx the timeline is swapped in place."""
    patient = patient_or_404(request, external_id)
    form = f.ContactLogForm(request.POST)
    if form.is_valid():
        try:
            services.log_contact(
                actor=request.user,
                patient=patient,
                kind=form.cleaned_data["kind"],
                summary=form.cleaned_data["summary"],
                outcome=form.cleaned_data["outcome"],
            )
        except DomainError as exc:
            f.place_error(form, exc)
        else:
            if not _is_htmx(request):
                messages.success(request, "Logged.")
                url = reverse("patients:patient-detail", args=[patient.external_id])
                return redirect(url + "#timeline")
            form = f.ContactLogForm()
    status = 400 if form.errors else 200
    if _is_htmx(request):
        context = _timeline_context(request, patient, form)
        return render(request, "patients/_timeline.html", context, status=status)
    # The page shown again with the errors: its read was audited when it was opened,
    # and this refusal is recorded by the audit middleware.
    context = _detail_context(request, patient, form)
    return render(request, "patients/detail.html", context, status=status)


# Not never_cache: its Cache-Control would add to the "private, no-store" set here.
@permission_required(Perm.VIEW_PATIENT)
def photo(request: HttpRequest, external_id) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    try:
        stored = photos.read_patient_photo(actor=request.user, patient=patient)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return private_file(stored.image, "image/jpeg")


@require_POST
@permission_required(Perm.EDIT_PATIENT)
def upload_photo(request: HttpRequest, external_id) -> HttpResponse:
    """Add or replace the photo; a refused file is shown against the field, 400."""
    patient = patient_or_404(request, external_id)
    form = f.PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photos.upload_patient_photo(
                actor=request.user, patient=patient, upload=form.cleaned_data["photo"]
            )
        except DomainError as exc:
            f.place_error(form, exc)
        else:
            messages.success(request, "Photo saved.")
            return redirect("patients:patient-detail", external_id=patient.external_id)
    context = _detail_context(request, patient, f.ContactLogForm(), photo_form=form)
    return render(request, "patients/detail.html", context, status=400)


@require_POST
@permission_required(Perm.EDIT_PATIENT)
def remove_photo(request: HttpRequest, external_id) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    try:
        photos.remove_patient_photo(actor=request.user, patient=patient)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Photo removed.")
    return redirect("patients:patient-detail", external_id=patient.external_id)


def _print(request: HttpRequest, external_id, document: str) -> HttpResponse:
    patient = patient_or_404(request, external_id)
    try:
        # ReportLab loads only when a document is printed, not with every server.
        from hms.patients import printing

        pdf = printing.print_patient_document(
            actor=request.user, patient=patient, document=document
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("patients:patient-detail", external_id=patient.external_id)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document}-{patient.mrn}.pdf"'
    return response


# POST: printing is recorded (audit and timeline), so a link prefetch must not do it.
@require_POST
@never_cache
@permission_required(Perm.VIEW_PATIENT)
def print_card(request: HttpRequest, external_id) -> HttpResponse:
    return _print(request, external_id, "card")


@require_POST
@never_cache
@permission_required(Perm.VIEW_PATIENT)
def print_wristband(request: HttpRequest, external_id) -> HttpResponse:
    return _print(request, external_id, "wristband")
