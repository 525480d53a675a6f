"""The append-only, hash-chained audit trail (ASTM E2147 content).

Each row stores the SHA-256 of its own content together with the previous row's hash,
so altering, removing or inserting a row breaks the chain from that row on
(`hms audit verify`). On PostgreSQL a trigger also refuses UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", "Login"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOGOUT = "logout", "Logout"
        CREATE = "create", "Create"
        READ = "read", "Read"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        EXPORT = "export", "Export"
        PRINT = "print", "Print"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENIED = "denied", "Denied"
        # An address that names an object (a patient, an invoice) the caller cannot see
        # here: it does not exist, or it belongs to another facility.
        NOT_FOUND = "not_found", _("Not found")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=True,
    )
    # Username as typed or as it was at the time: kept for failed logins of unknown users
    # and so renames do not rewrite history.
    username = models.CharField(max_length=150, blank=True)
    roles = models.CharField(max_length=300, blank=True)
    facility_code = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.CharField(max_length=64, blank=True)
    # Every patient a read showed (a list page names up to a page of them), space
    # separated, in the order shown; `AuditEventPatient` indexes them for the auditor.
    patient_ids = models.TextField(blank=True, default="", db_default="")
    source_ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    reason = models.CharField(max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    # Not unique-indexed: the chain itself proves each hash (`hms audit verify`).
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        # Every read of a patient appends a row (twenty for a search page), so the table
        # carries only the indexes the auditor's searches use: by patient, by user (as
        # typed, any case), by action and time, by time.
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["patient_id"], name="audit_patient"),
            models.Index(Upper("username"), name="audit_username"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type} {self.outcome}"

    def content(self) -> dict[str, object]:
        content = {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "username": self.username,
            "roles": self.roles,
            "facility": self.facility_code,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "patient_id": self.patient_id,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "channel": self.channel,
            "outcome": self.outcome,
            "reason": self.reason,
        }
        # Only when there are any, so events written before the list existed keep their hash.
        if self.patient_ids:
            content["patient_ids"] = self.patient_ids
        return content

    @property
    def patients_named(self) -> list[str]:
        """The patients this event names: the one of `patient_id`, or those a read showed."""
        if self.patient_ids:
            return self.patient_ids.split()
        return [self.patient_id] if self.patient_id else []

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(f"{self.prev_hash}|{payload}".encode()).hexdigest()


class AuditEventPatient(models.Model):
    """One patient a read event showed: the index behind "who saw patient X", so a list
    page is one event (one append to the chain) however many patients it shows."""

    id = models.BigAutoField(primary_key=True)
    # Found by patient (the index below), never by event: no index of its own.
    event = models.ForeignKey(
        AuditEvent, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    patient_id = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["patient_id", "event"], name="audit_patient_shown")]

    def __str__(self) -> str:
        return f"{self.patient_id} in #{self.event_id}"


class ChainHead(models.Model):
    """One row holding the chain's last id and hash; its row lock orders appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain head #{self.last_id}"
