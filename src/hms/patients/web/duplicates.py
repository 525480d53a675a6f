"""The records officer's pages: the duplicates worklist, two records side by side, merging
them (choose the survivor, say why, confirm), and the merge record with its undo."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.accounts.web.forms import PlainCharField
from hms.core.errors import DomainError
from hms.core.forms import add_domain_error
from hms.patients import merging, mrn, selectors, services, worklist
from hms.patients.models import DuplicateCandidate, Patient, PatientIdentifier, PatientMerge
from hms.patients.policies import scope_patients

PAGE_SIZE = 25
# The patient page belongs to the front desk's pages; link to it by whichever name it has.
PATIENT_PAGES = ("patients:detail", "patients:patient-detail")


def patient_url(patient: Patient) -> str:
    """The patient's page, or "" where there is none (the MRN is then shown unlinked)."""
    for name in PATIENT_PAGES:
        try:
            return reverse(name, kwargs={"external_id": patient.external_id})
        except NoReverseMatch:
            continue
    return ""


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _reason_field(label: str, *, focus: bool = False) -> PlainCharField:
    attrs = {"autocomplete": "off", **({"autofocus": True} if focus else {})}
    return PlainCharField(label=label, max_length=300, widget=forms.TextInput(attrs=attrs))


class PickForm(forms.Form):
    first = PlainCharField(label="First record (MRN)", max_length=64)
    second = PlainCharField(label="Second record (MRN)", max_length=64)

    def __init__(self, *args, focus: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if focus:
            self.fields["first"].widget.attrs["autofocus"] = True


class MergeForm(forms.Form):
    first = forms.UUIDField(widget=forms.HiddenInput)
    second = forms.UUIDField(widget=forms.HiddenInput)
    survivor = forms.UUIDField(label="Keep this record")
    reason = _reason_field("Why are they the same person?", focus=True)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("survivor") and data["survivor"] not in (data.get("first"), data.get("second")):
            self.add_error("survivor", "Choose one of the two records.")
        return data


class DismissForm(forms.Form):
    reason = _reason_field("Why are they different people?")


class UndoForm(forms.Form):
    reason = _reason_field("Why undo this merge?")


# --- finding records ---------------------------------------------------------------------


def _patients(request: HttpRequest):
    return scope_patients(request.user, request.facility, Patient.objects.all()).select_related(
        "merged_into"
    )


def _find(request: HttpRequest, text: str) -> Patient | None:
    """A record of the facility by MRN (with or without spaces) or public id."""
    try:
        return _patients(request).filter(external_id=uuid.UUID(text)).first()
    except ValueError:
        return _patients(request).filter(mrn=mrn.normalise(text)).first()


def _pair_or_404(request: HttpRequest, first, second) -> tuple[Patient, Patient]:
    found = {p.external_id: p for p in _patients(request).filter(external_id__in=[first, second])}
    if first not in found or second not in found:
        raise Http404("No such patient.")
    return found[first], found[second]


# --- what the compare page shows -----------------------------------------------------------


@dataclass(frozen=True)
class Side:
    patient: Patient
    url: str
    identifiers: list[tuple[str, str]]
    linked: dict[str, int]


def _side(patient: Patient) -> Side:
    labels = dict(PatientIdentifier.System.choices)
    identifiers = [
        (labels.get(i.system, i.system), i.value)
        for i in patient.identifiers.order_by("system", "pk")
    ]
    return Side(patient, patient_url(patient), identifiers, worklist.linked_rows(patient))


def _rows(a: Side, b: Side) -> list[tuple[str, str, str]]:
    """(label, first, second) for every fact an officer compares."""

    def facts(side: Side) -> dict[str, str]:
        p = side.patient
        born = p.birth_date.isoformat() if p.birth_date else ""
        return {
            "Name": p.full_name,
            "Preferred name": p.preferred_name,
            "Sex": p.get_sex_display(),
            "Birth date": f"~{p.birth_date.year} (estimated)" if p.birth_date_estimated else born,
            "Phone": p.phone,
            "Email": p.email,
            "Address": ", ".join(str(v) for v in (p.address or {}).values()),
            "Identifiers": "; ".join(f"{s}: {v}" for s, v in side.identifiers),
            "Next of kin": ", ".join(c.name for c in p.contacts.all()),
            "Registered": f"{p.created_at:%Y-%m-%d}",
            "Status": p.get_status_display(),
            "Linked rows": ", ".join(f"{n} {k}" for k, n in side.linked.items()) or "none",
        }

    fa, fb = facts(a), facts(b)
    return [(label, fa[label], fb[label]) for label in fa]


def _compare_context(request, first: Patient, second: Patient, **extra) -> dict:
    a, b = _side(first), _side(second)
    # The record registered first keeps its MRN by default: it is the one on old cards.
    default = min((first, second), key=lambda p: (not p.is_active, p.pk))
    merge_form = extra.pop("merge_form", None) or MergeForm(
        initial={
            "first": first.external_id,
            "second": second.external_id,
            "survivor": default.external_id,
        }
    )
    chosen = str(merge_form["survivor"].value() or "")
    return {
        "a": a,
        "b": b,
        "sides": [
            {**vars(side), "checked": chosen == str(side.patient.external_id)} for side in (a, b)
        ],
        "rows": _rows(a, b),
        "candidate": worklist.pair_candidate(first, second),
        "merge_form": merge_form,
        "dismiss_form": DismissForm(),
        "can_merge": first.is_active and second.is_active and first.pk != second.pk,
        **extra,
    }


def _audit_reads(request: HttpRequest, patients: list[Patient], what: str) -> None:
    services.record_patient_reads(actor=request.user, patients=patients, what=what)


# --- pages ---------------------------------------------------------------------------------


@permission_required(Perm.MERGE_PATIENTS)
def worklist_page(request: HttpRequest) -> HttpResponse:
    pairs = worklist.duplicate_worklist(viewer=request.user, facility=request.facility)
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(c, patient_url(c.patient), patient_url(c.other)) for c in page]
    _audit_reads(request, [p for c in page for p in (c.patient, c.other)], "duplicates worklist")
    merges = worklist.facility_merges(viewer=request.user, facility=request.facility)[:5]
    return render(
        request,
        "patients/duplicates/worklist.html",
        {"page": page, "rows": rows, "pick_form": PickForm(), "merges": merges},
    )


@permission_required(Perm.MERGE_PATIENTS)
def compare(request: HttpRequest) -> HttpResponse:
    """Two records side by side: ?first=...&second=... (MRNs or public ids)."""
    form = PickForm(request.GET or None, focus=True)
    if not form.is_bound:
        return render(request, "patients/duplicates/pick.html", {"pick_form": form})
    if form.is_valid():
        first, second = (_find(request, form.cleaned_data[k]) for k in ("first", "second"))
        if first is None:
            form.add_error("first", "No record with this MRN here.")
        if second is None:
            form.add_error("second", "No record with this MRN here.")
        if first and second and first.pk == second.pk:
            form.add_error("second", "This is the same record; choose another.")
    if not form.is_valid():
        return render(request, "patients/duplicates/pick.html", {"pick_form": form}, status=400)
    _audit_reads(request, [first, second], "compare for merge")
    return render(
        request, "patients/duplicates/compare.html", _compare_context(request, first, second)
    )


@require_POST
@permission_required(Perm.MERGE_PATIENTS)
def merge(request: HttpRequest) -> HttpResponse:
    """Step one shows what will happen and asks to confirm; step two merges."""
    form = MergeForm(request.POST)
    valid = form.is_valid()
    first_id, second_id = form.cleaned_data.get("first"), form.cleaned_data.get("second")
    if not (first_id and second_id):
        raise Http404("No such patient.")
    first, second = _pair_or_404(request, first_id, second_id)
    if not valid:
        return _merge_box(request, first, second, form, status=400)
    survivor, merged = (
        (first, second) if form.cleaned_data["survivor"] == first.external_id else (second, first)
    )
    if not form.cleaned_data["confirmed"]:
        return _merge_box(
            request, first, second, form, confirming=True, survivor=survivor, merged=merged
        )
    try:
        done = merging.merge_patients(
            actor=request.user,
            survivor=survivor,
            merged=merged,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _merge_box(request, first, second, form, status=exc.status)
    messages.success(request, f"MRN {merged.mrn} merged into MRN {survivor.mrn}.")
    target = reverse("duplicates:merge-detail", kwargs={"external_id": done.external_id})
    if _is_htmx(request):
        return HttpResponse(status=204, headers={"HX-Redirect": target})
    return redirect(target)


def _merge_box(request, first, second, form, *, status=200, **extra) -> HttpResponse:
    context = _compare_context(request, first, second, merge_form=form, **extra)
    if _is_htmx(request):
        # htmx swaps a 400 into the page and drops other refusals, so every refusal of
        # the form comes back as 400 with the reason in it.
        status = 400 if status >= 400 else status
        return render(request, "patients/duplicates/compare.html#merge-box", context, status=status)
    return render(request, "patients/duplicates/compare.html", context, status=status)


@require_POST
@permission_required(Perm.MERGE_PATIENTS)
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(
        DuplicateCandidate.objects.select_related("patient", "other"),
        pk=pk,
        patient__in=_patients(request),
    )
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            merging.dismiss_duplicate(
                actor=request.user, candidate=candidate, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                f"MRN {candidate.patient.mrn} and MRN {candidate.other.mrn} marked as "
                "different people.",
            )
            return redirect("duplicates:worklist")
    context = _compare_context(request, candidate.patient, candidate.other, dismiss_form=form)
    return render(request, "patients/duplicates/compare.html", context, status=400)


@permission_required(Perm.MERGE_PATIENTS)
def merge_list(request: HttpRequest) -> HttpResponse:
    merges = worklist.facility_merges(viewer=request.user, facility=request.facility)
    page = Paginator(merges, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/duplicates/merges.html", {"page": page})


def _merge_or_404(request: HttpRequest, external_id) -> PatientMerge:
    return get_object_or_404(
        worklist.facility_merges(viewer=request.user, facility=request.facility),
        external_id=external_id,
    )


def _merge_page(request, merge: PatientMerge, form: UndoForm, status: int = 200):
    survivor = merge.survivor
    _audit_reads(request, [survivor, merge.merged], "merge record")
    return render(
        request,
        "patients/duplicates/merge.html",
        {
            "merge": merge,
            "survivor_url": patient_url(survivor),
            "merged_url": patient_url(merge.merged),
            "moved": {label: len(pks) for label, pks in merge.moved.items()},
            "timeline": _timeline(survivor),
            "undo_form": form,
        },
        status=status,
    )


def _timeline(survivor: Patient) -> list[tuple[object, str]]:
    """The survivor's latest entries, each with the MRN of the record it came from when
    that is a record merged into it."""
    entries = selectors.patient_timeline(patient=survivor, limit=10)
    others = {e.patient_id for e in entries} - {survivor.pk}
    mrns = dict(Patient.objects.filter(pk__in=others).values_list("pk", "mrn"))
    return [(e, mrns.get(e.patient_id, "")) for e in entries]


@permission_required(Perm.MERGE_PATIENTS)
def merge_detail(request: HttpRequest, external_id) -> HttpResponse:
    return _merge_page(request, _merge_or_404(request, external_id), UndoForm())


@require_POST
@permission_required(Perm.MERGE_PATIENTS)
def unmerge(request: HttpRequest, external_id) -> HttpResponse:
    merge = _merge_or_404(request, external_id)
    form = UndoForm(request.POST)
    if form.is_valid():
        try:
            merging.unmerge_patients(
                actor=request.user, merge=merge, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            return _merge_page(request, merge, form, status=exc.status)
        messages.success(
            request, f"Merge undone: MRN {merge.merged.mrn} is a record of its own again."
        )
        return redirect("duplicates:merge-detail", external_id=merge.external_id)
    return _merge_page(request, merge, form, status=400)
