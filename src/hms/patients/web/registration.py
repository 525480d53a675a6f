"""Registering and editing patients: the walk-in form, the emergency unknown-patient
form, the full form, edits, and the likely-duplicates panel shown while typing."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hms.accounts.permissions import Perm
from hms.accounts.policies import has_permission
from hms.accounts.web.decorators import permission_required
from hms.core.errors import DomainError
from hms.patients import services, walk_in
from hms.patients.errors import PossibleDuplicates
from hms.patients.inputs import NAME_MAX
from hms.patients.matching import Match, find_likely_duplicates
from hms.patients.models import Patient
from hms.patients.policies import scope_patients
from hms.patients.web import forms as f
from hms.patients.web.birth import birth_text
from hms.patients.web.lookup import patient_or_404
from hms.patients.web.probe import initial_from_query, probe_from
from hms.patients.web.rows import ContactFormSet, IdentifierFormSet

QUICK_FIELDS = ("sex", "birth", "phone")


def _registered(request: HttpRequest, patient: Patient) -> HttpResponse:
    messages.success(request, f"Registered {patient.full_name}: MRN {patient.mrn}.")
    return redirect("patients:patient-detail", external_id=patient.external_id)


def _register(
    request, form, data, *, formsets=None, service=services.register_patient, **options
) -> tuple[Any, list[Match]]:
    """Call the service; on refusal put the reason on the form and return the matches."""
    try:
        patient = service(
            actor=request.user,
            facility=request.facility,
            data=data,
            duplicate_override_reason=form.cleaned_data.get("duplicate_override_reason", ""),
            **options,
        )
    except PossibleDuplicates as exc:
        form.add_error("duplicate_override_reason", exc.message)
        return None, exc.matches
    except DomainError as exc:
        f.place_error(form, exc, formsets)
        return None, []
    return patient, []


def _form_page(request, template: str, context: dict) -> HttpResponse:
    form = context["form"]
    form.focus_first()
    formsets = [context[name] for name in ("identifiers", "contacts") if name in context]
    has_errors = bool(form.errors) or any(
        formset.is_bound and formset.total_error_count() for formset in formsets
    )
    return render(request, template, context, status=400 if has_errors else 200)


def quick_form(request: HttpRequest) -> f.QuickRegistrationForm:
    """The walk-in form: bound to a POST, else filled from what the search box held."""
    check_url = f.duplicate_check_url()
    if request.method == "POST":
        return f.QuickRegistrationForm(
            request.POST, duplicate_check_url=check_url, region=request.facility.country
        )
    initial = initial_from_query(request.GET.get("q", ""), request.facility.country)
    return f.QuickRegistrationForm(initial=initial, duplicate_check_url=check_url)


def register_walk_in_with(request, form, service, **options) -> tuple[Any, list[Match]]:
    """Register the walk-in form's patient through `service` (registration alone, or
    registration and check-in); on refusal the form carries the reason."""
    return _register(
        request,
        form,
        form.to_input(),
        service=service,
        no_phone_reason=form.cleaned_data["no_phone_reason"],
        **options,
    )


def walk_in_page(request: HttpRequest, form, matches: list[Match]) -> HttpResponse:
    context = {
        "form": form,
        "matches": matches,
        "query": request.GET.get("q", "")[:100],
        # The desk registers and checks in with one button (UX.md habit 5).
        "can_check_in": has_permission(request.user, Perm.CHECK_IN, request.facility),
    }
    return _form_page(request, "patients/register.html", context)


@never_cache
@permission_required(Perm.REGISTER_PATIENT)
def register(request: HttpRequest) -> HttpResponse:
    """The walk-in form, opened from the search box with what was typed there."""
    form, matches = quick_form(request), []
    if form.is_bound and form.is_valid():
        patient, matches = register_walk_in_with(request, form, walk_in.register_walk_in)
        if patient:
            return _registered(request, patient)
    return walk_in_page(request, form, matches)


@never_cache
@permission_required(Perm.REGISTER_PATIENT)
def register_unknown(request: HttpRequest) -> HttpResponse:
    """An emergency patient with no identity yet: registered at once, completed later.
    Duplicate checks are skipped: "Unknown" matches every other unknown patient."""
    form = f.UnknownPatientForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            patient = services.register_patient(
                actor=request.user,
                facility=request.facility,
                data=form.to_input(),
                check_duplicates=False,
            )
        except DomainError as exc:
            f.place_error(form, exc)
        else:
            return _registered(request, patient)
    return _form_page(request, "patients/unknown.html", {"form": form})


def _formsets(data, *, region: str, systems=(), initial=None):
    initial = initial or {}
    identifiers = IdentifierFormSet(
        data,
        prefix="identifiers",
        initial=initial.get("identifiers"),
        form_kwargs={"extra_systems": systems},
    )
    contacts = ContactFormSet(
        data, prefix="contacts", initial=initial.get("contacts"), form_kwargs={"region": region}
    )
    return identifiers, contacts


def _rows(formset) -> list:
    return [row for row in (form.to_input() for form in formset) if row is not None]


def _carried_over(data, region: str) -> dict[str, str]:
    """The walk-in form's fields, when its "More details" button opened this form; its
    one name box becomes the name's parts."""
    carried = initial_from_query(data.get("name", "")[: 2 * NAME_MAX], region)
    carried.update({name: data[name][:100] for name in QUICK_FIELDS if data.get(name)})
    return carried


@never_cache
@permission_required(Perm.REGISTER_PATIENT)
def register_full(request: HttpRequest) -> HttpResponse:
    region, check_url = request.facility.country, f.duplicate_check_url()
    matches: list[Match] = []
    bound = request.method == "POST" and "_carry_over" not in request.POST
    if bound:
        form = f.RegistrationForm(request.POST, duplicate_check_url=check_url, region=region)
        identifiers, contacts = _formsets(request.POST, region=region)
        if form.is_valid() and identifiers.is_valid() and contacts.is_valid():
            data = form.to_input(_rows(identifiers), _rows(contacts))
            sets = {"identifiers": identifiers, "contacts": contacts}
            patient, matches = _register(request, form, data, formsets=sets)
            if patient:
                return _registered(request, patient)
    else:
        initial = (
            _carried_over(request.POST, region)
            if request.method == "POST"
            else initial_from_query(request.GET.get("q", ""), request.facility.country)
        )
        form = f.RegistrationForm(initial=initial, duplicate_check_url=check_url)
        identifiers, contacts = _formsets(None, region=region)
    context = {
        "form": form,
        "identifiers": identifiers,
        "contacts": contacts,
        "matches": matches,
        "title": "Register a patient",
        "submit": "Register",
    }
    return _form_page(request, "patients/patient_form.html", context)


def initial_from_patient(patient: Patient) -> dict:
    address = patient.address or {}
    names = (
        "given_name",
        "middle_name",
        "family_name",
        "preferred_name",
        "sex",
        "gender_identity",
        "marital_status",
        "language",
        "phone",
        "email",
        "consent_sms",
        "consent_email",
        "consent_research",
        "is_unknown",
        "is_deceased",
    )
    initial = {name: getattr(patient, name) for name in names}
    initial.update({name: address.get(key, "") for name, key in f.ADDRESS_FIELDS.items()})
    initial["birth"] = birth_text(
        patient.birth_date, patient.birth_date_estimated, timezone.localdate()
    )
    if patient.deceased_at:
        initial["deceased_at"] = timezone.localtime(patient.deceased_at)
    return initial


def _rows_of(patient: Patient) -> dict[str, list[dict]]:
    """The identifiers and contacts on file, as the edit form's rows."""
    return {
        "identifiers": [
            {"system": i.system, "value": i.value, "assigner": i.assigner}
            for i in patient.identifiers.order_by("id")
        ],
        "contacts": [
            {
                "name": c.name,
                "relationship": c.relationship,
                "phone": c.phone,
                "is_emergency": c.is_emergency,
            }
            for c in patient.contacts.order_by("id")
        ],
    }


@never_cache
@permission_required(Perm.EDIT_PATIENT)
def edit(request: HttpRequest, external_id) -> HttpResponse:
    """Change a record; the service lists what changed on the timeline and in the audit."""
    patient = patient_or_404(request, external_id)
    if not patient.is_active:
        messages.error(request, "This record was merged or entered in error and cannot change.")
        return redirect("patients:patient-detail", external_id=patient.external_id)
    region, check_url = patient.facility.country, f.duplicate_check_url(patient)
    kept = _rows_of(patient)
    systems = [row["system"] for row in kept["identifiers"]]
    if request.method == "POST":
        form = f.EditForm(request.POST, duplicate_check_url=check_url, region=region)
        identifiers, contacts = _formsets(request.POST, region=region, systems=systems)
        if form.is_valid() and identifiers.is_valid() and contacts.is_valid():
            try:
                services.update_patient(
                    actor=request.user,
                    patient=patient,
                    data=form.to_input(_rows(identifiers), _rows(contacts)),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                f.place_error(form, exc, {"identifiers": identifiers, "contacts": contacts})
            else:
                messages.success(request, f"Saved the changes to {patient.mrn}.")
                return redirect("patients:patient-detail", external_id=patient.external_id)
    else:
        services.record_patient_read(actor=request.user, patient=patient, what="edit form")
        form = f.EditForm(initial=initial_from_patient(patient), duplicate_check_url=check_url)
        identifiers, contacts = _formsets(None, region=region, systems=systems, initial=kept)
    context = {
        "form": form,
        "identifiers": identifiers,
        "contacts": contacts,
        "patient": patient,
        "title": f"Edit {patient.full_name}",
        "submit": "Save changes",
    }
    return _form_page(request, "patients/patient_form.html", context)


class _OverrideForm(forms.Form):
    duplicate_override_reason = f.RegistrationForm.base_fields["duplicate_override_reason"]


@require_POST
@permission_required(Perm.REGISTER_PATIENT)
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """The likely-duplicates panel, refreshed as the name, sex, birth and phone change.
    With ?patient=<id> (the edit form) that record is left out and nothing is asked."""
    editing = None
    if request.GET.get("patient"):
        editing = (
            scope_patients(request.user, request.facility, Patient.objects.all())
            .filter(external_id__in=_uuids(request.GET["patient"]))
            .first()
        )
    probe = probe_from(request.POST, request.facility)
    matches = (
        find_likely_duplicates(
            probe, facility_id=request.facility.pk, exclude_id=editing.pk if editing else None
        )
        if probe
        else []
    )
    services.record_patient_reads(
        actor=request.user, patients=[m.patient for m in matches], what="likely duplicates"
    )
    reason = None if request.GET.get("patient") else _OverrideForm(request.POST)
    return render(
        request,
        "patients/_duplicates.html",
        {"matches": matches, "reason_form": reason},
    )


def _uuids(text: str) -> list[str]:
    try:
        return [str(uuid.UUID(text))]
    except ValueError:
        return []
