"""The doctor directory: practitioners by name, specialty, department and language,
each with their portrait, languages, fee and earliest free slot; asked for a specialty,
it suggests the doctor free soonest first. Managers of the directory add a portrait."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.accounts.web.forms import PlainCharField
from hms.core.errors import DomainError
from hms.core.models import Department
from hms.core.views import private_file
from hms.scheduling import selectors
from hms.staff import profile
from hms.staff.models import Practitioner, PractitionerPhoto, Specialty
from hms.staff.selectors import search_practitioners

TEMPLATE = "scheduling/directory.html"


class DirectoryForm(forms.Form):
    q = PlainCharField(label="Name", max_length=100, required=False)
    specialty = forms.ChoiceField(label="Specialty", required=False)
    department = forms.ChoiceField(label="Department", required=False)
    language = PlainCharField(label="Language (e.g. sw)", max_length=35, required=False)

    def __init__(self, *args, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].choices = [("", "Any")] + [
            (s.code, s.name) for s in Specialty.objects.order_by("name")
        ]
        departments = Department.objects.filter(facility=facility, is_active=True)
        self.fields["department"].choices = [("", "Any")] + [
            (d.code, d.name) for d in departments.order_by("name")
        ]


class PhotoForm(forms.Form):
    photo = forms.FileField(label="Portrait")


@never_cache
@require_GET
@permission_required(Perm.VIEW_SCHEDULE)
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None, facility=request.facility)
    doctors, status = [], 200
    if form.is_valid() or not form.is_bound:
        criteria = form.cleaned_data if form.is_bound else {}
        try:
            doctors = search_practitioners(
                viewer=request.user,
                facility=request.facility,
                **{k: criteria.get(k, "") for k in ("q", "specialty", "department", "language")},
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = 400
    else:
        status = 400
    with_photo = set(
        PractitionerPhoto.objects.filter(practitioner__in=doctors).values_list(
            "practitioner_id", flat=True
        )
    )
    rows = [(doctor, _next_free(request, doctor), doctor.pk in with_photo) for doctor in doctors]
    if form.is_bound and form.is_valid() and form.cleaned_data.get("specialty"):
        # Suggest: the doctor free soonest first.
        rows.sort(key=lambda row: (row[1] is None, row[1].starts_at if row[1] else None))
    context = {
        "form": form,
        "rows": rows,
        "manages": policies.has_permission(
            request.user, Perm.MANAGE_STAFF_DIRECTORY, request.facility
        ),
        "photo_form": PhotoForm(),
    }
    return render(request, TEMPLATE, context, status=status)


def _next_free(request, doctor):
    found = selectors.next_free_slots(facility=request.facility, practitioner_id=doctor.pk, limit=1)
    return found[0] if found else None


def _doctor(request: HttpRequest, external_id) -> Practitioner:
    found = Practitioner.objects.filter(facility=request.facility, external_id=external_id).first()
    if found is None:
        raise Http404("No such practitioner.")
    return found


@require_GET
@permission_required(Perm.VIEW_SCHEDULE)
def photo(request: HttpRequest, external_id) -> HttpResponse:
    stored = PractitionerPhoto.objects.filter(practitioner=_doctor(request, external_id)).first()
    if stored is None:
        raise Http404("No portrait.")
    return private_file(bytes(stored.image), "image/jpeg")


@require_POST
@permission_required(Perm.MANAGE_STAFF_DIRECTORY)
def upload_photo(request: HttpRequest, external_id) -> HttpResponse:
    doctor = _doctor(request, external_id)
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Portrait: choose a picture file.")
    else:
        try:
            profile.set_practitioner_photo(
                actor=request.user, practitioner=doctor, upload=form.cleaned_data["photo"]
            )
        except DomainError as exc:
            messages.error(request, f"Portrait: {exc.message}")
        else:
            messages.success(request, f"Portrait of {doctor.display_name} saved.")
    return redirect("appointments:directory")
