"""User administration pages for a facility's administrators."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_otp import user_has_device

from hms.accounts import services
from hms.accounts.models import RoleAssignment, User
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.accounts.web.forms import DefaultFacilityForm, ReasonForm, RolesForm, UserCreateForm
from hms.audit.services import Action, record_event
from hms.core.errors import DomainError
from hms.core.forms import add_domain_error
from hms.core.models import Facility


def _facility_users(facility):
    assignments = RoleAssignment.objects.filter(facility=facility).select_related("role")
    return (
        User.objects.filter(role_assignments__facility=facility)
        .distinct()
        .prefetch_related(Prefetch("role_assignments", queryset=assignments, to_attr="here"))
        .order_by("username")
    )


@permission_required(Perm.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    users = _facility_users(request.facility)
    query = request.GET.get("q", "").strip()[:150]
    if query:
        users = users.filter(username__icontains=query)
    return render(request, "accounts/user_list.html", {"users": users, "q": query})


@permission_required(Perm.MANAGE_USERS)
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.create_user(
                    actor=request.user,
                    facility=request.facility,
                    username=data["username"],
                    password=data["password"],
                    roles=data["roles"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"User {user.username} created.")
                return redirect("accounts:user-detail", external_id=user.external_id)
    return render(request, "accounts/user_form.html", {"form": form}, status=status)


@permission_required(Perm.MANAGE_USERS)
def user_detail(request: HttpRequest, external_id) -> HttpResponse:
    user = get_object_or_404(_facility_users(request.facility), external_id=external_id)
    current = [a.role.code for a in user.here]
    forms = {
        "roles_form": RolesForm(initial={"roles": current}),
        "facility_form": _default_facility_form(user),
    }
    status = 200
    if request.method == "POST":
        status = _apply_user_action(request, user, forms)
        if status == 302:
            return redirect("accounts:user-detail", external_id=user.external_id)
    else:
        record_event(action=Action.READ, actor=request.user, obj=user)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            **forms,
            "reason_form": ReasonForm(),
            "has_2fa": user_has_device(user, confirmed=True),
        },
        status=status,
    )


def _default_facility_form(user: User, data=None) -> DefaultFacilityForm:
    facilities = Facility.objects.filter(role_assignments__user=user, is_active=True)
    default = user.default_facility
    return DefaultFacilityForm(
        data,
        facilities=facilities.distinct().order_by("name"),
        initial={"default_facility": default.external_id if default else None},
    )


def _apply_user_action(request: HttpRequest, user: User, forms: dict) -> int:
    """Apply the POSTed action; the status to answer (302 when done). A form with
    errors replaces its blank one in `forms`."""
    action = request.POST.get("action")
    try:
        if action == "roles":
            roles_form = forms["roles_form"] = RolesForm(request.POST)
            if not roles_form.is_valid():
                return 400
            services.assign_roles(
                actor=request.user,
                user=user,
                facility=request.facility,
                roles=roles_form.cleaned_data["roles"],
            )
            messages.success(request, "Roles saved.")
        elif action in ("deactivate", "activate"):
            reason = ReasonForm(request.POST)
            if not reason.is_valid():
                messages.error(request, "The reason has characters that are not allowed.")
                return 400
            services.set_user_active(
                actor=request.user,
                user=user,
                facility=request.facility,
                active=action == "activate",
                reason=reason.cleaned_data["reason"],
            )
            messages.success(request, f"User {action}d.")
        elif action == "reset_2fa":
            services.reset_two_factor(actor=request.user, user=user, facility=request.facility)
            messages.success(
                request,
                "Two-factor login reset; the user enrols again at next sign-in.",
            )
        elif action == "unlock":
            services.unlock_user(actor=request.user, user=user, facility=request.facility)
            messages.success(request, "Sign-in lockout lifted.")
        elif action == "default_facility":
            form = forms["facility_form"] = _default_facility_form(user, request.POST)
            if not form.is_valid():
                return 400
            services.set_default_facility(
                actor=request.user,
                user=user,
                facility=request.facility,
                default=form.cleaned_data["default_facility"],
            )
            messages.success(request, _("Default facility saved."))
        else:
            messages.error(request, "Unknown action.")
            return 400
    except DomainError as exc:
        messages.error(request, exc.message)
        return exc.status
    return 302
