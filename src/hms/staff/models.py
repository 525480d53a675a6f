"""The staff directory: practitioners, what they practise, where, and in which
languages. Scheduling books their time; billing reads their consultation fee."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hms.core.models import BaseModel, Department, Facility, code_validator
from hms.core.text import validate_single_line


class Specialty(BaseModel):
    """A clinical specialty ("Cardiology"); `code` may be a SNOMED CT or local code."""

    code = models.CharField(max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120, validators=[validate_single_line])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self) -> str:
        return self.name


class Practitioner(BaseModel):
    class Kind(models.TextChoices):
        DOCTOR = "doctor", "Doctor"
        CLINICAL_OFFICER = "clinical_officer", "Clinical officer"
        NURSE = "nurse", "Nurse"
        MIDWIFE = "midwife", "Midwife"
        DENTIST = "dentist", "Dentist"
        THERAPIST = "therapist", "Therapist"
        OTHER = "other", "Other"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="practitioner",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DOCTOR)
    title = models.CharField(max_length=20, blank=True)  # "Dr", "Prof"
    given_name = models.CharField(max_length=100, validators=[validate_single_line])
    family_name = models.CharField(max_length=100, validators=[validate_single_line])
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="practitioners")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    qualifications = models.CharField(max_length=300, blank=True)  # "MBChB, MMed (Paeds)"
    registration_number = models.CharField(max_length=60, blank=True)  # the licensing board's
    languages = models.JSONField(default=list, blank=True)  # BCP 47 codes: ["en", "sw"]
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # What billing charges for a consultation with this practitioner; none: the tariff's.
    consultation_fee = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Lower-cased "given family" without accents, for the directory search.
    search_name = models.CharField(max_length=220, db_index=True, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "registration_number"],
                condition=~Q(registration_number=""),
                name="practitioner_registration_unique",
            ),
            models.CheckConstraint(
                condition=Q(consultation_fee__isnull=True) | Q(consultation_fee__gte=0),
                name="practitioner_fee_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.title, self.given_name, self.family_name) if p)


class PractitionerPhoto(BaseModel):
    """The practitioner's portrait for the directory and the patient portal: a JPEG of
    at most 480 px re-encoded from the upload (hms.patients.images). A table of its own
    so the directory's searches never load pictures."""

    practitioner = models.OneToOneField(
        Practitioner, on_delete=models.CASCADE, related_name="photo"
    )
    image = models.BinaryField(editable=False)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    size = models.PositiveIntegerField(help_text="Bytes of the JPEG")

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"
