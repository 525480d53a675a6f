"""The demo hospital's outpatient clinics: doctors across departments with weekly
sessions, a week of appointments, and today's queue (some seen, one in consultation,
some waiting), all written through the services a clinic uses."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from hms.accounts.models import User
from hms.core.models import Department, Facility
from hms.patients.models import Patient
from hms.scheduling import queue, services, waitlist
from hms.scheduling.models import Room, Slot
from hms.scheduling.times import zone_of
from hms.staff import profile
from hms.staff import services as staff
from hms.staff.inputs import PractitionerInput
from hms.staff.models import Practitioner, Specialty

SPECIALTIES = [
    ("GP", "General practice"),
    ("PAED", "Paediatrics"),
    ("OBS", "Obstetrics"),
    ("MED", "Internal medicine"),
]

# title, given, family, kind, department, specialty, room, languages, demo username
DOCTORS = [
    ("Dr", "Fatuma", "Hassan", "doctor", "OPD", "GP", "R1", ["en", "sw"], "doctor"),
    ("Dr", "Brian", "Otieno", "doctor", "OPD", "MED", "R2", ["en", "sw", "luo"], None),
    ("Dr", "Lucy", "Wambui", "clinical_officer", "OPD", "GP", "R3", ["en", "sw", "ki"], None),
    ("Dr", "Ahmed", "Abdi", "doctor", "PAED", "PAED", "R4", ["en", "so"], None),
    ("Dr", "Nancy", "Chepkoech", "doctor", "PAED", "PAED", "R5", ["en", "sw"], None),
    ("Dr", "Mary", "Atieno", "doctor", "ANC", "OBS", "R6", ["en", "sw", "luo"], None),
]
# The clinical officer runs the weekend clinic too, so the demo's today has a clinic
# whatever the day; some doctors also see patients on Saturday.
WEEKEND_CLINIC = 2


def _days_of(number: int) -> int:
    return 7 if number == WEEKEND_CLINIC else (5 if number % 3 else 6)


MORNING, AFTERNOON = (dt.time(8), dt.time(12)), (dt.time(14), dt.time(16))


def load_demo_clinics(hospital: Facility) -> None:
    rng = random.Random(4)  # noqa: S311 - demo data, not secrets
    admin, desk = User.objects.get(username="admin"), User.objects.get(username="reception")
    doctors = demo_doctors(hospital, admin)
    for number, doctor in enumerate(doctors):
        room = Room.objects.get(facility=hospital, code=DOCTORS[number][6])
        for weekday in range(_days_of(number)):
            for starts, ends in (MORNING, AFTERNOON) if weekday < 5 else (MORNING,):
                services.add_schedule(
                    actor=admin,
                    practitioner=doctor,
                    room=room,
                    weekday=weekday,
                    starts_at=starts,
                    ends_at=ends,
                    slot_minutes=15 if doctor.department.code != "ANC" else 20,
                    valid_from=timezone.localdate(timezone=zone_of(hospital)),
                    emergency_slots=1,
                    breaks=[(dt.time(10, 30), dt.time(10, 45))] if starts == MORNING[0] else [],
                )
    patients = list(
        Patient.objects.filter(
            facility=hospital, status=Patient.Status.ACTIVE, is_deceased=False
        ).order_by("id")[:160]
    )
    booked = _book_the_week(hospital, desk, patients[:120], rng)
    _todays_queue(hospital, desk, doctors, booked, patients[120:])
    _waitlist(desk, doctors, booked, patients[140:144])


def _waitlist(desk, doctors, booked, patients) -> None:
    """Patients waiting for an earlier paediatric slot; one booking is cancelled, so
    the first of them holds an offer."""
    paediatrics = Specialty.objects.get(code="PAED")
    for patient in patients:
        waitlist.add_to_waitlist(actor=desk, patient=patient, specialty=paediatrics)
    later = [a for a in booked if a.practitioner_id == doctors[3].pk][-1:]
    for appointment in later:
        services.cancel_appointment(
            actor=desk, appointment=appointment, reason="Family travelling upcountry"
        )


def add_specialties(admin: User) -> None:
    for code, name in SPECIALTIES:
        if not Specialty.objects.filter(code=code).exists():
            staff.add_specialty(actor=admin, code=code, name=name)


def demo_doctors(hospital: Facility, admin: User) -> list[Practitioner]:
    """The doctors of DOCTORS, in its order; added once (the month of billing, made
    first, attributes its visits to them)."""
    added = list(Practitioner.objects.filter(facility=hospital).order_by("registration_number"))
    if added:
        return added
    add_specialties(admin)
    doctors = []
    for number, row in enumerate(DOCTORS, start=1):
        title, given, family, kind, dept, specialty, room, languages, username = row
        if not Room.objects.filter(facility=hospital, code=room).exists():
            services.add_room(
                actor=admin,
                facility=hospital,
                code=room,
                name=f"Consulting room {number}",
                department=Department.objects.get(facility=hospital, code=dept),
            )
        doctor = staff.add_practitioner(
            actor=admin,
            facility=hospital,
            data=PractitionerInput(
                given_name=given,
                family_name=family,
                kind=kind,
                title=title,
                department=dept,
                specialties=(specialty,),
                languages=tuple(languages),
                registration_number=f"KMPDC-{4410 + number}",
                consultation_fee=Decimal(1500 if kind == "doctor" else 1000),
            ),
        )
        if username:
            # Signing in as this user is signing in as this doctor (their worklist).
            doctor = profile.link_user(
                actor=admin, practitioner=doctor, user=User.objects.get(username=username)
            )
        doctors.append(doctor)
    return doctors


def _book_the_week(hospital, desk, patients, rng) -> list:
    """About half of the free places of the next six days, today's later hours first."""
    now = timezone.now()
    slots = list(
        Slot.objects.filter(
            schedule__facility=hospital,
            is_emergency=False,
            starts_at__gt=now,
            starts_at__lt=now + dt.timedelta(days=6),
        )
        .select_related("schedule", "practitioner")
        .order_by("starts_at")
    )
    chosen = [s for s in slots if rng.random() < 0.5]
    booked = []
    for patient, slot in zip(patients, chosen, strict=False):
        kind = rng.choice(["new", "follow_up", "follow_up", "procedure"])
        booked.append(services.book_appointment(actor=desk, patient=patient, slot=slot, kind=kind))
    return booked


def _todays_queue(hospital, desk, doctors, booked, walk_ins) -> None:
    """Today's queue: early arrivals checked in for later appointments, and walk-ins of
    whom some were seen, one is with the doctor, and the rest wait."""
    today = timezone.localdate(timezone=zone_of(hospital))
    zone = zone_of(hospital)
    for appointment in [a for a in booked if timezone.localtime(a.starts_at, zone).date() == today][
        :3
    ]:
        queue.check_in(actor=desk, appointment=appointment)
    fatuma = doctors[0]
    doctor_user = fatuma.user
    opd = fatuma.department
    priorities = [0, 0, 0, 1, 0, 2, 0, 0]
    for patient, priority in zip(walk_ins[:8], priorities, strict=False):
        queue.walk_in(actor=desk, patient=patient, department=opd, priority=priority)
    for _ in range(4):
        ticket = queue.call_next(
            actor=doctor_user, practitioner=fatuma, department=opd, called_to="Room 1"
        )
        if ticket is None:
            break
        queue.finish(actor=doctor_user, ticket=ticket)
    queue.call_next(actor=doctor_user, practitioner=fatuma, department=opd, called_to="Room 1")
