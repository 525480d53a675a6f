"""Practitioners' availability and the appointments booked against it.

A `Schedule` is a weekly session (Mondays 08:00-12:00 in room 3, 15-minute slots, from a
date until another). `Slot` rows are materialised from schedules some weeks ahead, so
booking is one conditional update of one row (`booked < capacity`), which the database
serialises: two clerks can never fill a slot past its capacity. `ScheduleBlock` takes
time away (leave, a holiday, a theatre day) and the slots in it stop being offered.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from hms.core.models import BaseModel, Department, Facility, code_validator
from hms.core.text import validate_single_line
from hms.patients.models import Patient
from hms.staff.models import Practitioner


class Room(BaseModel):
    """A consulting room or other bookable place."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(max_length=20, validators=[code_validator])
    name = models.CharField(max_length=120, validators=[validate_single_line])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="room_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class AppointmentKind(models.TextChoices):
    NEW = "new", "New patient"
    FOLLOW_UP = "follow_up", "Follow-up"
    PROCEDURE = "procedure", "Procedure"
    TELEPHONE = "telephone", "Telephone"


class Schedule(BaseModel):
    """A practitioner's weekly session. Times are the facility's wall-clock times."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="schedules"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="schedules"
    )
    kind = models.CharField(
        max_length=20, choices=AppointmentKind.choices, default=AppointmentKind.NEW
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField()
    # Patients per slot: 1, or more where the session allows overbooking.
    capacity = models.PositiveSmallIntegerField(default=1)
    # The session's last slots are kept for emergencies: only staff who may book
    # emergency slots can fill them.
    emergency_slots = models.PositiveSmallIntegerField(default=0)
    # Breaks inside the session, as [["10:30", "10:45"]] in wall-clock time.
    breaks = models.JSONField(default=list, blank=True)
    # A chronic no-show's booking adds a place to its slot instead of taking one, so
    # the slot can be booked again by someone likely to come.
    double_book_no_shows = models.BooleanField(default=False)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)  # inclusive; none: open-ended
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["practitioner", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="schedule_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=1) & Q(slot_minutes__lte=480),
                name="schedule_slot_length",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="schedule_capacity"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="schedule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.get_weekday_display()} {self.starts_at:%H:%M}"


class ScheduleBlock(BaseModel):
    """Time taken away from a practitioner or a room, with the reason."""

    class Kind(models.TextChoices):
        LEAVE = "leave", "Leave"
        HOLIDAY = "holiday", "Public holiday"
        THEATRE = "theatre", "Theatre day"
        BLOCKED = "blocked", "Blocked"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="blocks"
    )
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="blocks"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300, validators=[validate_single_line])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="block_ends_after_start"
            ),
        ]


class Slot(models.Model):
    """A bookable interval of a schedule. `booked` counts live appointments; the
    database refuses more than `capacity`."""

    id = models.BigAutoField(primary_key=True)
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="slots")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    booked = models.PositiveSmallIntegerField(default=0)
    is_emergency = models.BooleanField(default=False)
    # Set while a block covers the slot; a blocked slot is not offered or booked.
    blocked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner", "starts_at"], name="slot_practitioner_start_unique"
            ),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="slot_not_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        indexes = [
            # Any slot in time order (FHIR Slot searches of every status).
            models.Index(fields=["starts_at"], name="slot_by_time"),
            # "The next free slots": open slots in time order.
            models.Index(
                fields=["starts_at", "practitioner"],
                condition=Q(booked__lt=F("capacity"), blocked_reason=""),
                name="slot_open_by_time",
            ),
            # The same by session, for a planner that reaches the slots through the
            # facility's schedules (SQLite, which keeps no statistics): one short range
            # of each schedule in the time span looked at, not all its slots.
            models.Index(
                fields=["schedule", "starts_at"],
                condition=Q(booked__lt=F("capacity"), blocked_reason=""),
                name="slot_open_by_schedule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_free(self) -> bool:
        return self.booked < self.capacity and not self.blocked_reason


class Appointment(BaseModel):
    class Status(models.TextChoices):
        # FHIR Appointment.status
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Checked in"
        FULFILLED = "fulfilled", "Seen"
        CANCELLED = "cancelled", "Cancelled"
        NOSHOW = "noshow", "Did not attend"

    LIVE = (Status.BOOKED, Status.ARRIVED)  # holding their slot

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    # Why the patient comes, for the clinic's eyes only: never put in a message.
    reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    rescheduled_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Booked as a chronic no-show in a session that double-books them: the booking
    # raised the slot's capacity by one, and its cancellation lowers it again.
    adds_place = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            # One live booking of a patient per slot.
            models.UniqueConstraint(
                fields=["patient", "slot"],
                condition=Q(status__in=["booked", "arrived"]),
                name="appointment_patient_slot_live_unique",
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.patient} with {self.practitioner} at {self.starts_at:%Y-%m-%d %H:%M}"


class WaitlistEntry(BaseModel):
    """A patient waiting for an earlier slot with a practitioner or of a specialty.
    When a matching slot is freed it is offered to the first one waiting; the offer
    lapses after a while and passes to the next."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a slot"
        BOOKED = "booked", "Booked"
        REMOVED = "removed", "Removed"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    specialty = models.ForeignKey(
        "staff.Specialty", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices, blank=True)
    # The days the patient can come, inclusive; none: any.
    earliest = models.DateField(null=True, blank=True)
    latest = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    offered_slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # Slots this patient let pass (declined or did not answer): not offered again.
    passed_slots = models.JSONField(default=list, blank=True)
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(practitioner__isnull=False) | Q(specialty__isnull=False),
                name="waitlist_whom",
            ),
            models.CheckConstraint(
                condition=Q(earliest__isnull=True)
                | Q(latest__isnull=True)
                | Q(latest__gte=F("earliest")),
                name="waitlist_day_range",
            ),
        ]
        indexes = [models.Index(fields=["facility", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.practitioner or self.specialty}"


class QueueTicket(models.Model):
    """A place in a department's queue for the day: the number on the slip and on the
    waiting-room screen. Higher priority is called first, then the earlier ticket."""

    class Priority(models.IntegerChoices):
        NORMAL = 0, "Normal"
        ELDERLY = 1, "Elderly"
        PREGNANT = 2, "Pregnant"
        EMERGENCY = 3, "Emergency"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        CALLED = "called", "Called"
        DONE = "done", "Seen"
        LEFT = "left", "Left"

    id = models.BigAutoField(primary_key=True)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()  # the facility's date
    number = models.PositiveIntegerField()
    encounter = models.OneToOneField(
        "encounters.Encounter", on_delete=models.PROTECT, related_name="ticket"
    )
    appointment = models.OneToOneField(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="ticket"
    )
    # The doctor the patient waits for; none: whoever calls next in the department.
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    issued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    called_to = models.CharField(max_length=120, blank=True)  # "Room 3", shown on the screen
    called_by = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-priority", "issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "day", "number"], name="ticket_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["department", "day", "status"])]

    def __str__(self) -> str:
        return f"{self.department.code}-{self.number:03d}"

    @property
    def label(self) -> str:
        """What the slip and the screen show: "OPD-007"."""
        return str(self)
