from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from hms.accounts.permissions import ROLE_CHOICES
from hms.core.models import BaseModel, Facility


class User(AbstractUser):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Where the user lands at sign-in: the facility they last switched to, while they
    # hold a role there, else the one an administrator set, else the first by name.
    last_facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            # "Amina" and "amina" are one person at the front desk: case-blind uniqueness.
            models.UniqueConstraint(Lower("username"), name="user_username_case_insensitive")
        ]

    def __str__(self) -> str:
        return self.username


class Role(models.Model):
    """A named set of permissions; rows are written by migrations from `permissions.ROLES`."""

    code = models.CharField(max_length=30, unique=True, choices=ROLE_CHOICES)
    name = models.CharField(max_length=100)
    permissions = models.JSONField(default=list)
    requires_two_factor = models.BooleanField(
        default=False, help_text="Members must log in with a second factor (TOTP)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(BaseModel):
    """One role held by one user in one facility."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments")
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="role_assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "facility"], name="role_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role_id}@{self.facility_id}"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(BaseModel):
    """A bearer token for the REST and FHIR APIs. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's one-time recovery codes, for when their authenticator is lost.

    Only each code's password hash is stored (django-otp's static tokens keep them in
    plain text). A failed code backs off further attempts as for the authenticator.
    """

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token) -> bool:
        token = str(token).strip().lower()
        # An authenticator's digits are not meant for this device: testing them against
        # every hash would only slow sign-in, and throttling would punish a typo there.
        if not token or (token.isdigit() and len(token) <= 8):
            return False
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        for code in self.codes.all():
            if check_password(token, code.digest):
                # A conditional delete: two sign-ins racing with one code, one wins.
                spent, _ = RecoveryCode.objects.filter(pk=code.pk).delete()
                if spent:
                    self.throttle_reset(commit=False)
                    self.set_last_used_timestamp(commit=False)
                    self.save()
                    return True
                break
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    """One unused recovery code, as a password hash."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=256)

    def __str__(self) -> str:
        return f"recovery code #{self.pk}"

    @classmethod
    def hashed(cls, device: RecoveryCodeDevice, code: str) -> RecoveryCode:
        return cls(device=device, digest=make_password(code.strip().lower()))
