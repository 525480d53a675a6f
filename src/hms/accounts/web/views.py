"""Sign-in, second factor, password and API-token pages."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from hms.accounts import policies, services
from hms.accounts.models import ApiToken, RecoveryCodeDevice
from hms.accounts.permissions import Perm
from hms.accounts.session import FACILITY_SESSION_KEY
from hms.accounts.web.decorators import permission_required
from hms.accounts.web.forms import LoginForm, OtpForm, PasswordChangeForm, TokenForm
from hms.audit.services import Action, Outcome, record_event
from hms.core.errors import DomainError
from hms.core.forms import add_domain_error


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def locked_out(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """Shown by django-axes when a username is locked after repeated failures."""
    form = LoginForm(initial={"username": (credentials or {}).get("username", "")})
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "locked": True,
            "error": "This account is locked after too many failed sign-ins. "
            f"Try again in {minutes} minutes or ask an administrator.",
        },
        status=429,
    )


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET" and not request.GET.get("timeout"):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    context = {
        "form": form,
        "next": _next_url(request),
        "timeout": request.GET.get("timeout"),
    }
    if request.method != "POST":
        return render(request, "accounts/login.html", context)
    if not form.is_valid():
        record_event(
            action=Action.LOGIN_FAILED,
            username=request.POST.get("username", "")[:150],
            outcome=Outcome.FAILURE,
            reason="incomplete sign-in form",
        )
        return render(request, "accounts/login.html", context, status=400)
    username = form.cleaned_data["username"]
    user = authenticate(request, username=username, password=form.cleaned_data["password"])
    if user is None:
        locked = getattr(request, "axes_locked_out", False)
        record_event(
            action=Action.LOGIN_FAILED,
            username=username,
            outcome=Outcome.DENIED,
            reason="account locked" if locked else "wrong username or password",
        )
        if locked:
            return locked_out(request, {"username": username})
        context["error"] = "Wrong username or password."
        return render(request, "accounts/login.html", context, status=401)
    # login() rotates the session key, so a session id fixed before sign-in is useless.
    login(request, user)
    if policies.requires_two_factor(user):
        # Recorded now, so a stolen password used without the second factor leaves a trace.
        record_event(
            action=Action.LOGIN, actor=user, reason="password accepted; second factor pending"
        )
        request.session["hms_next"] = context["next"]
        return redirect(
            "accounts:two-factor-verify"
            if user_has_device(user, confirmed=True)
            else "accounts:two-factor-setup"
        )
    record_event(action=Action.LOGIN, actor=user, reason="password")
    return redirect(context["next"])


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    idle = request.POST.get("reason") == "idle"
    if request.user.is_authenticated:
        record_event(
            action=Action.LOGOUT,
            actor=request.user,
            reason="automatic log-off after inactivity" if idle else "signed out",
        )
    logout(request)
    login_url = reverse("accounts:login")
    return redirect(f"{login_url}?timeout=1" if idle else login_url)


@never_cache
def keepalive(request: HttpRequest) -> HttpResponse:
    """Extends the session while the user is active on a page without making requests."""
    return HttpResponse(status=204 if request.user.is_authenticated else 401)


def _finish_second_factor(request: HttpRequest, device, how: str) -> HttpResponse:
    otp_login(request, device)
    request.session.cycle_key()
    record_event(action=Action.LOGIN, actor=request.user, reason=f"password + {how}")
    return redirect(request.session.pop("hms_next", settings.LOGIN_REDIRECT_URL))


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(settings.LOGIN_REDIRECT_URL)
    if not user_has_device(request.user, confirmed=True):
        return redirect("accounts:two-factor-setup")
    form = OtpForm(request.POST or None)
    if request.method != "POST":
        return render(request, "accounts/two_factor_verify.html", {"form": form})
    if form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"])
        if device is not None:
            how = "recovery code" if isinstance(device, RecoveryCodeDevice) else "TOTP"
            return _finish_second_factor(request, device, how)
        form.add_error("code", "That code is not right, or it was already used.")
        reason = "wrong or reused second-factor code"
    else:
        reason = "missing or malformed second-factor code"
    record_event(
        action=Action.LOGIN_FAILED,
        actor=request.user,
        outcome=Outcome.DENIED,
        reason=reason,
    )
    return render(request, "accounts/two_factor_verify.html", {"form": form}, status=400)


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    if user_has_device(request.user, confirmed=True):
        # Enrolled already: a new authenticator comes through an administrator's reset.
        if request.user.is_verified():
            return redirect(settings.LOGIN_REDIRECT_URL)
        return redirect("accounts:two-factor-verify")
    device = services.start_totp_enrolment(user=request.user)
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_enrolment(
                user=request.user, device=device, code=form.cleaned_data["code"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 400
        else:
            otp_login(request, device)
            request.session.cycle_key()
            record_event(
                action=Action.LOGIN,
                actor=request.user,
                reason="password + TOTP (enrolment)",
            )
            return _show_recovery_codes(request, codes)
    elif request.method == "POST":
        status = 400
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5, dark="#111"),
            "secret": _base32(device),
        },
        status=status,
    )


def _base32(device) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How to get new recovery codes; POST makes a new set and shows it."""
    if request.method == "POST" and request.user.is_verified():
        return _show_recovery_codes(request, services.regenerate_recovery_codes(user=request.user))
    return render(request, "accounts/recovery_codes.html", {"codes": None})


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    # Shown in the answer to the request that made them, never kept in the session
    # (which lives in the database): only their hashes are stored anywhere.
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@sensitive_post_parameters("old_password", "new_password", "confirm_password")
@never_cache
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            field = "new_password" if exc.field == "password" else exc.field
            form.add_error(field, exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password was changed.")
            return redirect("web:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


@require_POST
@login_required
def switch_facility(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("facility", "")
    for facility in policies.facilities_of(request.user):
        if str(facility.external_id) == wanted:
            services.remember_facility(user=request.user, facility=facility)
            request.session[FACILITY_SESSION_KEY] = facility.pk
            break
    else:
        messages.error(request, _("You hold no role in that facility."))
    return redirect("web:home")


@never_cache
@permission_required(Perm.USE_API_TOKENS)
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _, new_token = services.issue_token(
                    actor=request.user,
                    user=request.user,
                    facility=request.facility,
                    name=form.cleaned_data["name"],
                    days=form.cleaned_data["expires_days"],
                )
                form = TokenForm()
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
        else:
            status = 400
    rows = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": rows, "new_token": new_token},
        status=status,
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, external_id) -> HttpResponse:
    token = get_object_or_404(ApiToken, external_id=external_id, user=request.user)
    services.revoke_token(actor=request.user, token=token)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("accounts:tokens")
