"""A clinic for the FHIR scheduling tests, set up through the services: Dr Amina Hassan
(paediatrics, outpatients) sees patients in consulting room 3 tomorrow and every week on
that weekday, 08:00-12:00 in 15-minute slots with a break at 10:00, the last slot held
for emergencies; Dr Otieno (cardiology, no room) on the day after, 14:00-16:00 in
30-minute slots."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.utils import timezone

from hms.core.models import Facility
from hms.scheduling import services
from hms.scheduling.models import Room, Schedule, Slot
from hms.scheduling.times import zone_of
from hms.staff import services as staff
from hms.staff.inputs import PractitionerInput
from hms.staff.models import Practitioner

FHIR_JSON = "application/fhir+json"


@dataclass
class Clinic:
    facility: Facility
    amina: Practitioner
    otieno: Practitioner
    room: Room
    morning: Schedule  # Dr Hassan's
    afternoon: Schedule  # Dr Otieno's
    tomorrow: dt.date

    def slots(self, schedule: Schedule | None = None) -> list[Slot]:
        return list(Slot.objects.filter(schedule=schedule or self.morning).order_by("starts_at"))

    def first_slot(self, schedule: Schedule | None = None) -> Slot:
        return self.slots(schedule)[0]


def a_clinic(facility: Facility, admin) -> Clinic:
    staff.add_specialty(actor=admin, code="PAED", name="Paediatrics")
    staff.add_specialty(actor=admin, code="CARD", name="Cardiology")
    amina = staff.add_practitioner(
        actor=admin,
        facility=facility,
        data=PractitionerInput(
            given_name="Amina",
            family_name="Hassan",
            title="Dr",
            qualifications="MBChB, MMed (Paeds)",
            registration_number="KMPDC-1234",
            languages=("en", "sw"),
            phone="+254712345678",
            email="amina.hassan@example.org",
            department="OPD",
            specialties=("PAED",),
        ),
    )
    otieno = staff.add_practitioner(
        actor=admin,
        facility=facility,
        data=PractitionerInput(
            given_name="Peter",
            family_name="Otieno",
            title="Dr",
            kind=Practitioner.Kind.CLINICAL_OFFICER,
            specialties=("CARD",),
        ),
    )
    room = Room.objects.create(facility=facility, code="R3", name="Consulting room 3")
    tomorrow = timezone.localdate(timezone=zone_of(facility)) + dt.timedelta(days=1)
    morning = services.add_schedule(
        actor=admin,
        practitioner=amina,
        room=room,
        weekday=tomorrow.weekday(),
        starts_at=dt.time(8, 0),
        ends_at=dt.time(12, 0),
        slot_minutes=15,
        valid_from=tomorrow,
        emergency_slots=1,
        breaks=[(dt.time(10, 0), dt.time(10, 15))],
    )
    day_after = tomorrow + dt.timedelta(days=1)
    afternoon = services.add_schedule(
        actor=admin,
        practitioner=otieno,
        weekday=day_after.weekday(),
        starts_at=dt.time(14, 0),
        ends_at=dt.time(16, 0),
        slot_minutes=30,
        valid_from=day_after,
        valid_until=day_after + dt.timedelta(days=28),
        kind="follow_up",
    )
    return Clinic(facility, amina, otieno, room, morning, afternoon, tomorrow)


def local(clinic: Clinic, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone_of(clinic.facility))


def body(response) -> dict:
    assert response["Content-Type"] == FHIR_JSON, response.content
    return json.loads(response.content)
