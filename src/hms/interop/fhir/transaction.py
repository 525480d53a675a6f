"""POST [base]: a transaction Bundle of Patient creates and updates and Appointment
creates, all or nothing (https://hl7.org/fhir/R4/http.html#transaction). This is how a
batch of patients from another system (Synthea's bundles, a referral hospital's
export) comes in over FHIR.

A create needs no id: the entry's fullUrl (often `urn:uuid:...`) names it within the
Bundle, and an Appointment refers to its patient by that fullUrl. A Patient create
whose identifiers a record of the facility already holds creates nothing and answers
that record, and an Appointment the patient already holds is not booked again, so
sending the same file twice is harmless."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient as FhirPatient
from rest_framework.response import Response

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.errors import NotFound
from hms.interop.fhir.base import SYSTEM_INTERACTIONS, FhirApiView
from hms.interop.fhir.resources import appointment_views
from hms.interop.fhir.resources import patient as mapper
from hms.interop.fhir.resources import patient_views as doors
from hms.interop.fhir.validation import InvalidResource, parse_resource
from hms.patients import lookups, services
from hms.patients.errors import PossibleDuplicates
from hms.patients.models import Patient

MAX_ENTRIES = 1000
WRITTEN = ("Patient", "Appointment")
SYSTEM_INTERACTIONS.add("transaction")


class TransactionApi(PermissionByMethod, FhirApiView):
    # Updates in the bundle also need EDIT_PATIENT; the update service checks it.
    permissions = {"POST": Perm.REGISTER_PATIENT}

    def post(self, request):
        _check_entry_types(request.data)
        bundle = parse_resource(request.data, Bundle)
        _check_requests(bundle)
        lenient = doors.is_lenient(request)
        entries = list(bundle.entry or [])
        answers: list[dict | None] = [None] * len(entries)
        try:
            with transaction.atomic():
                # Patients first, so that the appointments can refer to them by the
                # fullUrl that named them (https://hl7.org/fhir/R4/http.html#trules).
                named: dict[str, str] = {}
                for index, entry in enumerate(entries):
                    if isinstance(entry.resource, FhirPatient):
                        where = f"Bundle.entry[{index}].resource"
                        patient, warnings, status = _apply(request, where, entry, lenient)
                        answers[index] = _response_entry(patient, warnings, status)
                        if entry.fullUrl:
                            named[entry.fullUrl] = f"Patient/{patient.external_id}"
                for index, entry in enumerate(entries):
                    if answers[index] is None:
                        where = f"Bundle.entry[{index}].resource"
                        answers[index] = _book(request, where, entry, named)
        except PossibleDuplicates as exc:
            # Audited outside the rolled-back transaction, so the reads stay recorded.
            raise doors.duplicates_conflict(request, exc, exc.where) from exc
        answer = Bundle(type="transaction-response", entry=answers or None)
        return Response(answer.model_dump(mode="json", exclude_none=True))


def _check_entry_types(data: Any) -> None:
    """Refuse what fhir.resources cannot even parse (an unknown resourceType raises
    KeyError inside it) and what this server does not take (anything but Patient)."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InvalidResource([("Bundle", "POST a transaction Bundle here.")])
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        return  # parse_resource names the type error
    if len(entries) > MAX_ENTRIES:
        raise InvalidResource([("Bundle.entry", f"At most {MAX_ENTRIES} entries per Bundle.")])
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in WRITTEN:
            raise InvalidResource(
                [
                    (
                        f"Bundle.entry[{index}].resource",
                        f"Only Patient and Appointment resources can be written here "
                        f"(got {kind!r}).",
                    )
                ]
            )


def _check_requests(bundle: Bundle) -> None:
    if bundle.type != "transaction":
        raise InvalidResource([("Bundle.type", "Only transaction Bundles are accepted here.")])
    for index, entry in enumerate(bundle.entry or []):
        where = f"Bundle.entry[{index}].request"
        request = entry.request
        if request is None:
            raise InvalidResource([(where, "Each entry needs a request (method and url).")])
        if request.method == "POST" and request.url in WRITTEN:
            continue
        if request.method == "PUT" and request.url.startswith("Patient/"):
            if request.url != f"Patient/{entry.resource.id}":
                raise InvalidResource(
                    [(f"{where}.url", "Must be Patient/<the resource's id> for an update.")]
                )
            continue
        raise InvalidResource(
            [
                (
                    where,
                    "Use POST Patient or POST Appointment (create) or PUT Patient/<id> "
                    "(update); conditional and other interactions are not supported.",
                )
            ]
        )


def _apply(request, where: str, entry, lenient: bool) -> tuple[Patient, list, str]:
    resource: FhirPatient = entry.resource
    try:
        if entry.request.method == "PUT":
            patient = _existing(request, resource.id, where)
            warnings = doors.update_from_fhir(
                request, patient, resource, root=where, lenient=lenient
            )
            return _reread(request, patient), warnings, "200 OK"
        mapped = mapper.from_fhir(resource, facility=request._request.facility, lenient=lenient)
        known = _holder_of_identifiers(request, mapped.data)
        if known is not None:
            # A create whose identifiers a record already holds is that person
            # again (a file sent twice): answered as a conditional create is,
            # with the record, and nothing new.
            return known, mapped.warnings, "200 OK"
        with doors.element_paths(mapped, where):
            patient = services.register_patient(
                actor=request.user, facility=request._request.facility, data=mapped.data
            )
        return _reread(request, patient), mapped.warnings, "201 Created"
    except PossibleDuplicates as exc:
        exc.where = where
        raise
    except InvalidResource as exc:
        raise InvalidResource([(_rooted(path, where), text) for path, text in exc.issues]) from exc


def _holder_of_identifiers(request, data) -> Patient | None:
    if not data.identifiers:
        return None
    held = tuple(
        lookups.IdentifierCriterion(system=i.system, value=i.value) for i in data.identifiers
    )
    criteria = lookups.PatientCriteria(identifiers=(held,))
    found = lookups.find_patients(
        viewer=request.user,
        facility=request._request.facility,
        criteria=criteria,
        limit=1,
        offset=0,
    )
    return found.results[0] if found.results else None


def _book(request, where: str, entry, named: dict[str, str]) -> dict:
    """Book the Appointment an entry creates, its references to the Bundle's entries
    resolved; one the patient already holds is answered, not booked again."""
    data = _resolved(entry.resource.model_dump(mode="json", exclude_none=True), named, where)
    try:
        booked, new = appointment_views.book_from_fhir(
            request, parse_resource(data, FhirAppointment)
        )
    except InvalidResource as exc:
        issues = [(_rooted(path, where, "Appointment"), text) for path, text in exc.issues]
        raise InvalidResource(issues) from exc
    status = "201 Created" if new else "200 OK"
    return {"response": {"status": status, "location": f"Appointment/{booked.external_id}"}}


def _resolved(value: Any, named: dict[str, str], where: str) -> Any:
    """`value` with each reference to an entry's fullUrl (`urn:uuid:...`) replaced by
    the resource it became; a urn:uuid that no entry names is refused."""
    if isinstance(value, list):
        return [_resolved(item, named, where) for item in value]
    if not isinstance(value, dict):
        return value
    found = {key: _resolved(item, named, where) for key, item in value.items()}
    reference = found.get("reference")
    if isinstance(reference, str) and reference.startswith("urn:uuid:"):
        if reference not in named:
            text = f"{reference} is no Patient entry of this Bundle."
            raise InvalidResource([(where, text)])
        found["reference"] = named[reference]
    return found


def _rooted(path: str, where: str, kind: str = "Patient") -> str:
    return where + path[len(kind) :] if path.startswith(kind) else path


def _existing(request, resource_id: str, where: str) -> Patient:
    try:
        return lookups.patient_record(
            viewer=request.user, facility=request._request.facility, external_id=resource_id
        )
    except NotFound as exc:
        raise NotFound(f"{where}: Patient/{resource_id} is not known here.") from exc


def _reread(request, patient: Patient) -> Patient:
    return lookups.patient_record(
        viewer=request.user, facility=request._request.facility, external_id=patient.external_id
    )


def _response_entry(patient: Patient, warnings: list, status: str) -> dict:
    version = mapper.version_of(patient)
    response: dict[str, Any] = {
        "status": status,
        "location": f"Patient/{patient.external_id}/_history/{version}",
        "etag": f'W/"{version}"',
        "lastModified": patient.updated_at,
    }
    if warnings:
        response["outcome"] = doors.outcome_of_warnings(warnings, "")
    return {"response": response}
