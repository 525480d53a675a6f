"""Every write to users, roles, tokens and second factors. Each call is audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from hms.accounts import policies
from hms.accounts.errors import AccountErrorCode as Code
from hms.accounts.models import (
    ApiToken,
    RecoveryCode,
    RecoveryCodeDevice,
    Role,
    RoleAssignment,
    User,
    token_digest,
)
from hms.accounts.permissions import Perm
from hms.audit.services import Action, record_event
from hms.core.errors import InvalidInput, NotFound, NotPermitted
from hms.core.models import Facility, author
from hms.core.text import clean_text

MAX_TOKEN_DAYS = 366
RECOVERY_CODE_COUNT = 10


def _clean(value: str, field: str, max_length: int, code: str) -> str:
    try:
        value = clean_text(value)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field=field, code=code) from exc
    if len(value) > max_length:
        raise InvalidInput(f"At most {max_length} characters.", field=field, code=code)
    return value


def validate_username(username: str) -> str:
    username = _clean(username, "username", 150, Code.INVALID_USERNAME)
    if not username:
        raise InvalidInput("A username is required.", field="username", code=Code.INVALID_USERNAME)
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field="username", code=Code.INVALID_USERNAME) from exc
    return username


def validate_new_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(
            " ".join(exc.messages), field="password", code=Code.WEAK_PASSWORD
        ) from exc


def _roles(codes: Iterable[str]) -> list[Role]:
    codes = sorted(set(codes))
    roles = list(Role.objects.filter(code__in=codes))
    if len(roles) != len(codes) or not codes:
        known = {r.code for r in roles}
        unknown = ", ".join(c for c in codes if c not in known) or "(none given)"
        raise InvalidInput(f"Unknown role: {unknown}.", field="roles", code=Code.UNKNOWN_ROLE)
    return roles


def create_user(
    *,
    actor: Any,
    facility: Facility,
    username: str,
    password: str,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    skip_permission_checks: bool = False,
) -> User:
    """Create an active user holding `roles` in `facility`.

    Requires MANAGE_USERS in the facility unless called by the CLI with
    `skip_permission_checks`. Raises InvalidInput (username, password, roles, names)
    with nothing written; audits CREATE.
    """
    if not skip_permission_checks:
        policies.check_permission(actor, Perm.MANAGE_USERS, facility)
    username = validate_username(username)
    first_name = _clean(first_name, "first_name", 150, Code.INVALID_NAME)
    last_name = _clean(last_name, "last_name", 150, Code.INVALID_NAME)
    email = _clean(email, "email", 254, Code.INVALID_NAME)
    role_rows = _roles(roles)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    validate_new_password(password, user)
    taken = InvalidInput(
        f"The username {username!r} is taken.", field="username", code=Code.USERNAME_TAKEN
    )
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise taken
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # a concurrent create of the same name won the race
            raise taken from exc
        for role in role_rows:
            RoleAssignment.objects.create(
                user=user, role=role, facility=facility, created_by=author(actor)
            )
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=user,
            reason=f"roles {', '.join(r.code for r in role_rows)} at {facility.code}",
        )
    return user


def assign_roles(
    *,
    actor: Any,
    user: User,
    facility: Facility,
    roles: Iterable[str],
    skip_permission_checks: bool = False,
) -> User:
    """Replace the user's roles in `facility` with `roles` (MANAGE_USERS there)."""
    if not skip_permission_checks:
        policies.check_permission(actor, Perm.MANAGE_USERS, facility)
    role_rows = _roles(roles)
    with transaction.atomic():
        RoleAssignment.objects.filter(user=user, facility=facility).exclude(
            role__in=role_rows
        ).delete()
        for role in role_rows:
            RoleAssignment.objects.get_or_create(
                user=user,
                role=role,
                facility=facility,
                defaults={"created_by": author(actor)},
            )
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=user,
            reason=f"roles at {facility.code} set to {', '.join(r.code for r in role_rows)}",
        )
    policies.forget_cached_roles(user)
    return user


def _check_manages(actor: Any, user: User, facility: Facility) -> None:
    """MANAGE_USERS in `facility`, over a user who holds a role there: these changes
    reach the user everywhere, so an admin elsewhere may not make them."""
    policies.check_permission(actor, Perm.MANAGE_USERS, facility)
    if not RoleAssignment.objects.filter(user=user, facility=facility).exists():
        raise NotPermitted("That user holds no role in this facility.")


def remember_facility(*, user: User, facility: Facility) -> User:
    """Note the facility the user switched to, where they land at their next sign-in.

    NotPermitted unless they hold a role there.
    """
    if facility not in policies.facilities_of(user):
        raise NotPermitted(_("You hold no role in that facility."))
    if user.last_facility_id != facility.pk:
        with transaction.atomic():
            user.last_facility = facility
            user.save(update_fields=["last_facility"])
            record_event(
                action=Action.UPDATE, actor=user, obj=user, reason=f"switched to {facility.code}"
            )
    return user


def set_default_facility(
    *, actor: Any, user: User, facility: Facility, default: Facility | None
) -> User:
    """Set (or with None clear) the facility `user` lands in at sign-in when they have
    not switched to one of theirs: MANAGE_USERS in `facility`, where the user holds a
    role; InvalidInput unless the user holds a role in `default` too."""
    _check_manages(actor, user, facility)
    if default is not None and default not in policies.facilities_of(user):
        raise InvalidInput(
            _("The user holds no role in that facility."),
            field="default_facility",
            code=Code.INVALID_FACILITY,
        )
    with transaction.atomic():
        user.default_facility = default
        user.save(update_fields=["default_facility"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=user,
            reason=f"default facility {default.code if default else 'cleared'}",
        )
    return user


def set_user_active(
    *, actor: Any, user: User, facility: Facility, active: bool, reason: str
) -> User:
    """Activate or deactivate a user; deactivation also revokes their API tokens."""
    _check_manages(actor, user, facility)
    reason = _clean(reason, "reason", 300, Code.INVALID_NAME)
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=user,
            reason=("activated" if active else "deactivated") + (f": {reason}" if reason else ""),
        )
    return user


def change_password(*, actor: User, old_password: str, new_password: str) -> User:
    """Change the actor's own password after checking the current one."""
    if not actor.check_password(old_password):
        record_event(
            action=Action.UPDATE,
            actor=actor,
            obj=actor,
            outcome="failure",
            reason="password change refused: wrong current password",
        )
        raise InvalidInput(
            "The current password is wrong.",
            field="old_password",
            code=Code.WRONG_PASSWORD,
        )
    validate_new_password(new_password, actor)
    with transaction.atomic():
        actor.set_password(new_password)
        actor.save(update_fields=["password"])
        record_event(action=Action.UPDATE, actor=actor, obj=actor, reason="password changed")
    return actor


def issue_token(
    *,
    actor: Any,
    user: User,
    name: str,
    days: int,
    facility: Facility | None = None,
    skip_permission_checks: bool = False,
) -> tuple[ApiToken, str]:
    """Create an API token for `user` valid for `days`; return it with its secret.

    The secret is shown once: only its SHA-256 digest is stored. A user issues their
    own tokens (USE_API_TOKENS in their current facility); the CLI may issue for anyone.
    """
    if not skip_permission_checks:
        if actor.pk != user.pk:
            raise NotPermitted("Tokens can only be issued to yourself.")
        policies.check_permission(actor, Perm.USE_API_TOKENS, facility)
    name = _clean(name or "api", "name", 100, Code.INVALID_NAME) or "api"
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"Expiry must be 1 to {MAX_TOKEN_DAYS} days.",
            field="expires_days",
            code=Code.INVALID_EXPIRY,
        )
    raw = "hms_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=raw[:10],
            digest=token_digest(raw),
            expires_at=timezone.now() + timedelta(days=days),
            created_by=author(actor),
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            obj=token,
            reason=f"API token {token.prefix} for {user.username}, {days} days",
        )
    return token, raw


def revoke_token(*, actor: Any, token: ApiToken, skip_permission_checks: bool = False) -> ApiToken:
    """Revoke a token; only its owner may (the CLI may revoke any).

    Another user's token answers NotFound, so token ids cannot be probed.
    """
    if not skip_permission_checks and actor.pk != token.user_id:
        raise NotFound("No such token.", code=Code.TOKEN_NOT_FOUND)
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db()
        record_event(action=Action.UPDATE, actor=actor, obj=token, reason="API token revoked")
    return token


def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """Return the user's pending (unconfirmed) authenticator, creating one if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def confirm_totp_enrolment(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm an authenticator with a first code and return new recovery codes.

    Raises InvalidInput when the code is wrong. Replaces earlier devices, so one
    authenticator and one set of recovery codes are active at a time.
    """
    if not device.verify_token(code.strip()):
        record_event(
            action=Action.UPDATE,
            actor=user,
            obj=user,
            outcome="failure",
            reason="two-factor enrolment: wrong code",
        )
        raise InvalidInput(
            "That code is not right. Check the time on your phone and try again.",
            field="code",
            code=Code.INVALID_OTP,
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record_event(action=Action.UPDATE, actor=user, obj=user, reason="two-factor enrolled")
    return codes


def regenerate_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes with a new set, returned to be shown once."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record_event(action=Action.UPDATE, actor=user, obj=user, reason="recovery codes replaced")
    return codes


def reset_two_factor(*, actor: Any, user: User, facility: Facility) -> None:
    """Remove a user's second factors (lost phone); they enrol again at next login."""
    _check_manages(actor, user, facility)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCodeDevice.objects.filter(user=user).delete()
        record_event(action=Action.UPDATE, actor=actor, obj=user, reason="two-factor reset")


def unlock_user(*, actor: Any, user: User, facility: Facility) -> None:
    """Lift a sign-in lockout (django-axes) before its cool-off ends."""
    _check_manages(actor, user, facility)
    axes_reset(username=user.username)
    record_event(action=Action.UPDATE, actor=actor, obj=user, reason="sign-in lockout lifted")


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the codes are returned to be shown once and
    only their hashes are kept."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode.hashed(device, c) for c in codes)
    return codes
