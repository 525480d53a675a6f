"""FHIR R4 Appointment: search, read, create (books a slot through
`scheduling.services.book_appointment`) and update to cancel (through
`cancel_appointment`). Reads are audited as reads of the patient's data.

- A taken slot answers 409 with an OperationOutcome: an error on `Appointment.slot`,
  then one information issue per next free slot of the same practitioner, naming it as
  `Slot/<id>`, for the client to offer instead.
- An update may only cancel: the stored Appointment sent back with `status`
  `cancelled` and a `cancelationReason`. Other changes (another slot, another time)
  are a reschedule, which this door does not offer.
"""

from __future__ import annotations

from contextlib import contextmanager

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.operationoutcome import OperationOutcome
from rest_framework.response import Response

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.errors import DomainError, NotFound
from hms.interop.fhir.base import FHIR_JSON, ResourceRegistration, register
from hms.interop.fhir.resources import appointment as mapper
from hms.interop.fhir.resources.generic_views import ReadApi, ResourceApi, SearchApi
from hms.interop.fhir.validation import InvalidResource, parse_resource
from hms.patients import lookups
from hms.scheduling import services
from hms.scheduling.errors import SlotTaken
from hms.scheduling.models import Appointment, Slot
from hms.scheduling.times import zone_of


class _AppointmentApi(PermissionByMethod, ResourceApi):
    resource_type = "Appointment"
    search_params = mapper.SEARCH_PARAMS

    def visible(self, request):
        return mapper.appointments(request.user, self.facility(request))

    def narrow(self, request, qs):
        return mapper.search(qs, request.query_params, zone_of(self.facility(request)))

    def to_fhir(self, request, row):
        return mapper.to_fhir(row, zone_of(self.facility(request)))

    def patient_of(self, row):
        return row.patient


@register(
    ResourceRegistration(
        type="Appointment",
        interactions=("read", "update", "search-type", "create"),
        search_params=mapper.SEARCH_PARAMS,
    )
)
class AppointmentTypeApi(_AppointmentApi, SearchApi):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "POST": Perm.BOOK_APPOINTMENT}

    def post(self, request):
        try:
            booked, new = book_from_fhir(request, parse_resource(request.data, FhirAppointment))
        except SlotTaken as exc:
            return _taken(request, exc)
        booked = self.row(request, str(booked.external_id))
        response = Response(self.body(request, booked), status=201 if new else 200)
        response["Location"] = request.build_absolute_uri(
            f"/fhir/R4/Appointment/{booked.external_id}"
        )
        return response


class AppointmentInstanceApi(_AppointmentApi, ReadApi):
    permissions = {"GET": Perm.VIEW_SCHEDULE, "PUT": Perm.BOOK_APPOINTMENT}

    def put(self, request, resource_id):
        stored = self.row(request, resource_id)
        resource = parse_resource(request.data, FhirAppointment)
        if resource.id != str(stored.external_id):
            raise InvalidResource(
                [("Appointment.id", f"Must be {stored.external_id}, the id in the address.")]
            )
        mapper.check_unmoved(resource, stored)
        if resource.status == stored.status:
            return Response(self.body(request, stored))  # nothing to change
        if resource.status != "cancelled":
            raise mapper.Unprocessable(
                [("Appointment.status", "An update can only cancel (status 'cancelled').")]
            )
        reason = resource.cancelationReason.text if resource.cancelationReason else ""
        try:
            services.cancel_appointment(actor=request.user, appointment=stored, reason=reason or "")
        except DomainError as exc:
            exc.issues = [(_cancel_path(exc.field), exc.message)]
            raise
        return Response(self.body(request, self.row(request, resource_id)))


def book_from_fhir(request, resource: FhirAppointment) -> tuple[Appointment, bool]:
    """Book the slot an Appointment names for its patient: (the appointment, True), or
    (the patient's live booking of that slot, False) when it is already theirs, so a
    create sent twice books once. Raises SlotTaken when another patient holds it."""
    wanted = mapper.from_fhir(resource)
    patient = _patient(request, wanted)
    slot = _slot(request, wanted)
    mapper.check_slot_agrees(wanted, slot)
    held = (
        mapper.appointments(request.user, request._request.facility)
        .filter(slot=slot, patient=patient, status__in=Appointment.LIVE)
        .first()
    )
    if held is not None:
        return held, False
    with element_paths(wanted):
        booked = services.book_appointment(
            actor=request.user,
            patient=patient,
            slot=slot,
            kind=wanted.kind,
            reason=wanted.reason,
        )
    return booked, True


def _cancel_path(field: str | None) -> str:
    return "Appointment.cancelationReason.text" if field == "reason" else "Appointment.status"


@contextmanager
def element_paths(wanted: mapper.BookingRequest):
    """A service's refusal names our field; the answer names the element it came from."""
    try:
        yield
    except SlotTaken:
        raise
    except DomainError as exc:
        exc.issues = [(wanted.path_of(exc.field), exc.message)]
        raise


def _patient(request, wanted: mapper.BookingRequest):
    try:
        return lookups.patient_row(
            viewer=request.user, facility=request._request.facility, external_id=wanted.patient
        )
    except NotFound as exc:
        raise mapper.Unprocessable(
            [(wanted.patient_path, f"Patient/{wanted.patient} is not known here.")]
        ) from exc


def _slot(request, wanted: mapper.BookingRequest) -> Slot:
    # Another facility's slot answers as an unknown one, so ids cannot be probed.
    slot = (
        Slot.objects.select_related("schedule", "practitioner", "room")
        .filter(pk=wanted.slot, schedule__facility=request._request.facility)
        .first()
    )
    if slot is None:
        raise mapper.Unprocessable(
            [("Appointment.slot[0].reference", f"Slot/{wanted.slot} is not known here.")]
        )
    return slot


def _taken(request, exc: SlotTaken) -> Response:
    zone = zone_of(request._request.facility)
    offers = [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"Slot/{slot.pk} is free: {slot.starts_at.astimezone(zone).isoformat()}"
            f" with {slot.practitioner.display_name}.",
        }
        for slot in exc.next_free
    ]
    outcome = OperationOutcome(
        issue=[
            {
                "severity": "error",
                "code": "conflict",
                "diagnostics": exc.message,
                "expression": ["Appointment.slot[0]"],
            },
            *offers,
        ]
    )
    return Response(
        outcome.model_dump(mode="json", exclude_none=True),
        status=exc.status,
        content_type=FHIR_JSON,
    )
