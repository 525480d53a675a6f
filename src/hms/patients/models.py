"""The patient registry: demographics, identifiers, contacts, the CRM timeline, and the
master patient index's duplicate worklist and merges."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hms.core import context
from hms.core.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField
from hms.core.models import BaseModel


class Patient(BaseModel):
    class Sex(models.TextChoices):
        # FHIR AdministrativeGender
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        MERGED = "merged", "Merged into another record"
        ENTERED_IN_ERROR = "entered_in_error", "Entered in error"

    class MaritalStatus(models.TextChoices):
        # HL7 v3 MaritalStatus, as FHIR Patient.maritalStatus uses
        MARRIED = "M", "Married"
        NEVER_MARRIED = "S", "Never married"
        DIVORCED = "D", "Divorced"
        WIDOWED = "W", "Widowed"
        LEGALLY_SEPARATED = "L", "Legally separated"
        DOMESTIC_PARTNER = "T", "Domestic partner"
        POLYGAMOUS = "P", "Polygamous"
        UNMARRIED = "U", "Unmarried"
        UNKNOWN = "UNK", "Unknown"

    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+")
    mrn = models.CharField("MRN", max_length=24)
    given_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices)
    gender_identity = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    birth_date_estimated = models.BooleanField(default=False)
    marital_status = models.CharField(max_length=3, choices=MaritalStatus.choices, blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47, e.g. sw or en-KE")
    # Contact details are encrypted; *_index columns are blind indexes for exact search.
    phone = EncryptedTextField(blank=True)
    phone_index = models.CharField(max_length=40, blank=True, db_index=True)
    email = EncryptedTextField(blank=True)
    email_index = models.CharField(max_length=40, blank=True, db_index=True)
    address = EncryptedJSONField(null=True, blank=True)
    consent_sms = models.BooleanField(default=False)
    consent_email = models.BooleanField(default=False)
    consent_research = models.BooleanField(default=False)
    is_unknown = models.BooleanField(default=False, help_text="Registered without identity")
    is_deceased = models.BooleanField(default=False)
    deceased_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    # Accent- and case-folded "given middle family preferred", for search and ranking.
    search_name = models.CharField(max_length=410, blank=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "mrn"], name="patient_mrn_unique"),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="patient_merged_has_target",
            ),
        ]
        indexes = [
            # Covering on PostgreSQL: a bulk import's duplicate check reads the names of
            # everyone born on its rows' birth dates (thirty a day in a million) from
            # the index alone, instead of a table page per record.
            models.Index(
                fields=["facility", "birth_date"],
                include=["status", "search_name", "id"],
                name="patient_facility_birth",
            ),
            models.Index(fields=["search_name"], name="patient_search_name"),
        ]

    def __str__(self) -> str:
        return self.mrn

    @classmethod
    def from_db(cls, db, field_names, values):
        patient = super().from_db(db, field_names, values)
        # A request that reads a patient's row shows that patient: noted here, where
        # every door's reads pass (querysets, related rows, plain-SQL reads through
        # hms.core.rows), the request writes one audit event naming them all.
        context.note_patients_shown([patient.external_id])
        return patient

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.family_name) if p)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


# Identifier systems that name one person: one current record of a facility holds each
# value (per issuing authority). Insurance member numbers are not among them: a policy's
# dependants share one.
UNIQUE_IDENTIFIER_SYSTEMS = (
    "national_id",
    "passport",
    "other_mrn",
    "driver_license",
    "birth_certificate",
)


class PatientIdentifier(BaseModel):
    """An identifier another system gave the patient: national ID, passport, insurance
    member number, another hospital's MRN. The value is encrypted."""

    class System(models.TextChoices):
        NATIONAL_ID = "national_id", "National ID"
        PASSPORT = "passport", "Passport"
        INSURANCE = "insurance_member", "Insurance member ID"
        OTHER_MRN = "other_mrn", "Another hospital's MRN"
        DRIVER_LICENSE = "driver_license", "Driver's licence"
        BIRTH_CERTIFICATE = "birth_certificate", "Birth certificate"
        EXTERNAL = "external", "External system"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="identifiers")
    # The patient's facility, copied so the database can hold identifiers unique in it.
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+")
    system = models.CharField(max_length=200)
    value = EncryptedTextField()
    value_index = models.CharField(max_length=40)
    assigner = models.CharField(max_length=200, blank=True)
    # False once the value names another record: the survivor of a merge took it over,
    # or this record was entered in error. A merged record's identifiers stay current
    # until then, so the person's numbers keep finding them.
    is_current = models.BooleanField(default=True)

    class Meta:
        # The blind index leads: the duplicate check and FHIR's identifier search look a
        # value up without its system.
        indexes = [models.Index(fields=["value_index", "system"], name="identifier_value")]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "system", "assigner", "value_index"],
                condition=Q(is_current=True, system__in=UNIQUE_IDENTIFIER_SYSTEMS),
                name="identifier_unique_in_facility",
            )
        ]

    def __str__(self) -> str:
        return self.system


class PatientContact(BaseModel):
    """Next of kin or emergency contact."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=50, blank=True)
    phone = EncryptedTextField(blank=True)
    is_emergency = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.relationship or "contact"


class PatientPhoto(BaseModel):
    """The patient's face, for staff to confirm identity: a JPEG of at most 480 px,
    re-encoded from the upload (see hms.patients.images), encrypted at rest.

    A table of its own rather than a column on Patient: every search and list reads
    Patient rows, and the encrypted field decrypts as it loads, so a photo there would
    be fetched and decrypted for every row shown. In the database rather than in files:
    it is backed up, encrypted and rotated (`hms keys rotate`) with the rest of the
    record, and app servers share no disk.
    """

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="photo")
    image = EncryptedBinaryField(editable=False)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes of the JPEG")

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


class PatientNameKey(models.Model):
    """Search keys derived from a patient's names (words, prefixes, typo variants,
    phonetic codes; see hms.patients.search), so name search is a range or equality
    lookup in one index on both databases. On PostgreSQL the column uses the "C"
    collation (migration 0003) so ranges and order are by code point, as on SQLite."""

    key = models.CharField(max_length=460)
    # No foreign key constraint in the database: it checks each of a patient's two
    # dozen keys against the patient row at commit, which is a third of a bulk import's
    # database time. Keys are derived rows, written only in the transaction that
    # writes or locks their patient (services.reindex_name, the bulk import); patients
    # are never deleted, and Django still cascades a delete through the ORM.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        indexes = [models.Index(fields=["key", "patient"], name="name_key_lookup")]

    def __str__(self) -> str:
        return self.key


class TimelineEntry(models.Model):
    """One interaction on the patient's CRM timeline. Modules add entries through
    `patients.services.add_timeline_entry`, idempotent on `source`."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", "Registered"
        UPDATED = "updated", "Details changed"
        MERGED = "merged", "Merged"
        UNMERGED = "unmerged", "Merge undone"
        NOTE = "note", "Note"
        CALL = "call", "Phone call"
        MESSAGE = "message", "Message sent"
        VISIT = "visit", "Visit"
        APPOINTMENT = "appointment", "Appointment"
        INVOICE = "invoice", "Invoice"
        PAYMENT = "payment", "Payment"
        PRINT = "print", "Printed"

    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=~Q(source=""), name="timeline_source_unique"
            )
        ]

    def __str__(self) -> str:
        return self.kind


class DuplicateCandidate(models.Model):
    """A pair the master patient index thinks may be one person: the records officer's
    worklist."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        NOT_DUPLICATE = "not_duplicate", "Not the same person"
        MERGED = "merged", "Merged"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    other = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    found_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "other"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=Q(patient__lt=models.F("other")), name="duplicate_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id}~{self.other_id}"


class PatientMerge(BaseModel):
    """A merge of `merged` into `survivor`, with what moved so it can be undone."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    # {"app_label.Model.field": [pk, ...]}: the rows whose patient reference moved.
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A record is merged into one survivor at a time; the database says so even
            # if two merges of it were to get past the row locks.
            models.UniqueConstraint(
                fields=["merged"], condition=Q(undone_at=None), name="merge_one_open_per_record"
            ),
            models.CheckConstraint(
                condition=~Q(survivor=models.F("merged")), name="merge_two_records"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id}->{self.survivor_id}"


class OutboundMessage(models.Model):
    """A message to a patient (email or SMS): the outbox that reminders, billing and the
    portal queue into and the task worker sends from (hms.patients.messaging).

    `reference` names the message once ("appointment:<uuid>:reminder-24h:sms"), so the
    same message is never queued twice; `topic` is what it is about ("appointment:<uuid>"),
    so a cancellation finds the pending ones. Bodies hold no clinical detail (HIPAA
    minimum necessary): a time, a place and a reference.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent"
        CANCELLED = "cancelled", "Cancelled"

    id = models.BigAutoField(primary_key=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    reference = models.CharField(max_length=160)
    topic = models.CharField(max_length=120)
    purpose = models.CharField(max_length=40)  # "reminder", "confirmation", ...
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    due_at = models.DateTimeField()
    # Not sent after this (a reminder once the appointment has started).
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # The worker batch holding it while status is "sending".
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Where it went, read from the patient's record at sending (encrypted, as there).
    sent_to = EncryptedTextField(blank=True)
    # May go during quiet hours: a cancellation the patient must read before setting out.
    ignores_quiet_hours = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            # A constraint rather than unique=True: no second (pattern) index on PostgreSQL.
            models.UniqueConstraint(fields=["reference"], name="message_reference_unique"),
        ]
        indexes = [
            models.Index(fields=["topic"], name="message_topic"),
            models.Index(
                fields=["due_at"], condition=Q(status="queued"), name="message_queued_due"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="message_sending"
            ),
        ]

    def __str__(self) -> str:
        return self.reference
