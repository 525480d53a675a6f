"""Base models and the facility every record is scoped to."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models

from hms.core.text import validate_single_line

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{0,19}$",
    "Use 1-20 capital letters, digits, '-' or '_', starting with a letter or digit.",
)


class BaseModel(models.Model):
    """External UUID (the public id in URLs, APIs and FHIR), timestamps and authors."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"Unknown time zone {value!r}; use an IANA name such as Africa/Nairobi."
        )


def validate_currency(value: str) -> None:
    if len(value) != 3 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise ValidationError("Use a three-letter ISO 4217 currency code such as KES or USD.")


class Facility(BaseModel):
    """A hospital or clinic: the unit that owns patients, staff, stock and money."""

    name = models.CharField(max_length=200, validators=[validate_single_line])
    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    country = models.CharField(
        max_length=2,
        default="KE",
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use a two-letter ISO 3166 code such as KE.")],
        help_text="ISO 3166 code; the default region for phone numbers.",
    )
    mrn_prefix = models.CharField(
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^[A-Z0-9]*$", "Capital letters and digits.")],
        help_text="Starts every medical record number here (default: none).",
    )
    address = models.CharField(max_length=300, blank=True, validators=[validate_single_line])
    phone = models.CharField(max_length=40, blank=True, validators=[validate_single_line])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.name


class Department(BaseModel):
    """A clinic, ward, pharmacy, laboratory or office inside one facility."""

    class Kind(models.TextChoices):
        OUTPATIENT = "opd", "Outpatient clinic"
        WARD = "ward", "Ward"
        EMERGENCY = "emergency", "Emergency"
        THEATRE = "theatre", "Theatre"
        PHARMACY = "pharmacy", "Pharmacy"
        LABORATORY = "lab", "Laboratory"
        RADIOLOGY = "radiology", "Radiology"
        BILLING = "billing", "Billing"
        RECORDS = "records", "Medical records"
        STORES = "stores", "Stores"
        ADMINISTRATION = "admin", "Administration"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(max_length=200, validators=[validate_single_line])
    code = models.CharField(max_length=20, validators=[code_validator])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "code"], name="department_code_unique_per_facility"
            )
        ]

    def __str__(self) -> str:
        return self.name


class NumberSequence(models.Model):
    """The last number handed out in one scope ("mrn:RGH", "invoice:RGH:2026")."""

    scope = models.CharField(max_length=100, unique=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}={self.last_value}"


def author(actor: Any):
    """Who a row records as its author (created_by, updated_by): the acting user when
    signed in, none for the system (a task, the CLI, a migration)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def mark_saved(*instances: models.Model) -> None:
    """Mark instances written by plain SQL as saved, as the ORM's save would."""
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias


def keep_related(instance: models.Model, **children: list[models.Model]) -> None:
    """Hold `instance`'s reverse relations as these rows, as a prefetch would.

    For a record written a moment ago its children are exactly the rows just written,
    and the response that shows it would otherwise read each relation back.
    """
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in children.items():
        queryset = getattr(instance, name).all()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset


class Event(models.Model):
    """A domain event a service published (hms.core.events): the outbox row written in
    the publishing transaction, so a subscriber that fails (or a process that dies
    after the commit) loses nothing; undelivered rows are delivered again later."""

    name = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # Only the rows still to deliver: the retry task's look stays small.
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="event_undelivered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk}"
