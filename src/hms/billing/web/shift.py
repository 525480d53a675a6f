"""The cashier's shift: opened with a float, its takings by method as the day goes,
closed with what was counted in the drawer (the variance shown), handed over."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hms.accounts.models import Role, User
from hms.accounts.permissions import Perm
from hms.accounts.web.decorators import permission_required
from hms.billing import payment_selectors, services
from hms.billing.models import PaymentMethod, Shift
from hms.billing.services.shifts import expected_by_method
from hms.billing.web.common import place_error, shift_or_404
from hms.billing.web.forms import CloseShiftForm, HandOverForm, OpenShiftForm
from hms.core.errors import DomainError

RECENT_SHIFTS = 5


def _cashiers(request: HttpRequest):
    """Whom a shift can be handed to: the facility's other users who take payments."""
    roles = [r.pk for r in Role.objects.all() if Perm.TAKE_PAYMENT in r.permissions]
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__facility=request.facility,
            role_assignments__role__in=roles,
        )
        .exclude(pk=request.user.pk)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _methods(shift: Shift) -> list[str]:
    """The methods to count at the close: cash first, then those the till expects."""
    expected = expected_by_method(shift)
    return [PaymentMethod.CASH.value] + sorted(m for m in expected if m != PaymentMethod.CASH)


def shift_context(request: HttpRequest, **forms) -> dict:
    user, facility = request.user, request.facility
    current = payment_selectors.current_shift(viewer=user, facility=facility)
    mine = (
        payment_selectors.shifts_at(viewer=user, facility=facility)
        .filter(cashier=user)
        .order_by("-opened_at")
    )
    to_hand_over = mine.filter(status=Shift.Status.CLOSED).first()
    context = {
        "shift": current,
        "recent": mine[:RECENT_SHIFTS],
        "to_hand_over": to_hand_over,
        "open_form": forms.get("open_form") or OpenShiftForm(initial={"opening_float": "0.00"}),
    }
    if current is not None:
        expected = expected_by_method(current)
        context["takings"] = payment_selectors.shift_takings(shift=current)
        context["expected"] = [(PaymentMethod(m).label, a) for m, a in sorted(expected.items())]
        context["close_form"] = forms.get("close_form") or CloseShiftForm(methods=_methods(current))
    if to_hand_over is not None:
        context["counts"] = to_hand_over.counts.order_by("method")
        context["hand_over_form"] = forms.get("hand_over_form") or HandOverForm(
            users=_cashiers(request)
        )
    return context


def _page(request: HttpRequest, status: int = 200, **forms) -> HttpResponse:
    return render(request, "billing/shift.html", shift_context(request, **forms), status=status)


@never_cache
@require_GET
@permission_required(Perm.TAKE_PAYMENT)
def shift_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def open_shift(request: HttpRequest) -> HttpResponse:
    """Open the till; back to the page it was opened from (the desk), else the shift."""
    form = OpenShiftForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.open_shift(
                actor=request.user,
                facility=request.facility,
                opening_float=form.cleaned_data["opening_float"],
            )
        except DomainError as exc:
            place_error(form, exc, {"cashier": None})
            status = exc.status
        else:
            messages.success(request, "Shift opened.")
            return redirect(_back(request))
    return _page(request, status=status, open_form=form)


def _back(request: HttpRequest) -> str:
    back = request.POST.get("back", "")[:500]
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return reverse("billing:shift")


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def close(request: HttpRequest, external_id) -> HttpResponse:
    shift = shift_or_404(request, external_id)
    form = CloseShiftForm(request.POST, methods=_methods(shift))
    status = 400
    if form.is_valid():
        try:
            closed = services.close_shift(
                actor=request.user,
                shift=shift,
                counts=form.counts(),
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            aliases = {f"counts.{m}": m for m in PaymentMethod.values}
            place_error(form, exc, aliases)
            status = exc.status
        else:
            messages.success(
                request,
                f"Shift closed: counted {closed.counted_total:,.2f}, variance "
                f"{closed.variance:+,.2f} {closed.currency}.",
            )
            return redirect("billing:shift")
    return _page(request, status=status, close_form=form)


@require_POST
@permission_required(Perm.TAKE_PAYMENT)
def hand_over(request: HttpRequest, external_id) -> HttpResponse:
    shift = shift_or_404(request, external_id)
    form = HandOverForm(request.POST, users=_cashiers(request))
    status = 400
    if form.is_valid():
        try:
            done = services.hand_over_shift(
                actor=request.user, shift=shift, to=form.cleaned_data["to"]
            )
        except DomainError as exc:
            place_error(form, exc)
            status = exc.status
        else:
            who = done.handed_over_to.get_full_name() or done.handed_over_to.username
            messages.success(request, f"Shift handed over to {who}.")
            return redirect("billing:shift")
    return _page(request, status=status, hand_over_form=form)
