"""Visits: a patient's outpatient visit from arrival to the end of the consultation (and,
later, admissions). Each step's time is kept, so waiting times can be measured."""

from __future__ import annotations

import zoneinfo

from django.db import models
from django.utils import timezone

from hms.core.models import BaseModel, Department, Facility
from hms.patients.models import Patient
from hms.staff.models import Practitioner


class Encounter(BaseModel):
    class Status(models.TextChoices):
        ARRIVED = "arrived", "Arrived"
        TRIAGED = "triaged", "Triaged"
        IN_CONSULTATION = "in_consultation", "In consultation"
        FINISHED = "finished", "Finished"
        LEFT = "left", "Left without being seen"

    class Class(models.TextChoices):
        # FHIR Encounter.class (HL7 v3 ActCode)
        AMBULATORY = "AMB", "Outpatient"
        EMERGENCY = "EMER", "Emergency"

    OPEN = (Status.ARRIVED, Status.TRIAGED, Status.IN_CONSULTATION)

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    encounter_class = models.CharField(
        max_length=8, choices=Class.choices, default=Class.AMBULATORY
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ARRIVED)
    arrived_at = models.DateTimeField()
    triaged_at = models.DateTimeField(null=True, blank=True)
    consultation_started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # finished, or left

    class Meta:
        ordering = ["-arrived_at"]
        indexes = [models.Index(fields=["facility", "status", "arrived_at"])]

    def __str__(self) -> str:
        return f"{self.patient} {self.get_status_display()} {self.arrived_at:%Y-%m-%d %H:%M}"

    @property
    def local_arrival(self):
        """The arrival on the facility's clocks."""
        return timezone.localtime(self.arrived_at, zoneinfo.ZoneInfo(self.facility.timezone))
