"""FHIR R4 Patient interactions: search, create, read, vread and update
(https://hl7.org/fhir/R4/http.html). Every Patient that goes out gets an audit row.

- `Prefer: return=minimal | representation | OperationOutcome` shapes a write's answer.
- `Prefer: handling=lenient` stores what it can of a Patient whose phone, email or
  identifier the registry cannot hold, and says what it left out (the default, strict,
  refuses it with a 400 naming the element).
- A possible duplicate is a 409; the header HMS-Duplicate-Override-Reason registers
  anyway, as a clerk's "this is a different person" does.
- vread serves the current version only: earlier versions are not kept, so there is no
  `_history`. Versions are not checked on update (no If-Match).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.utils.http import http_date
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from hms.accounts.api.permissions import PermissionByMethod
from hms.accounts.permissions import Perm
from hms.core.errors import Conflict, InvalidInput, NotFound
from hms.interop.fhir.base import FhirApiView, ResourceRegistration, register
from hms.interop.fhir.resources import patient as mapper
from hms.interop.fhir.resources.patient_search import SEARCH_PARAMS, parse_search
from hms.interop.fhir.validation import InvalidResource, parse_resource
from hms.patients import lookups, services
from hms.patients.errors import PossibleDuplicates
from hms.patients.models import Patient

# How a FHIR client registers someone the matcher thinks is already registered: it
# repeats the create with the reason in this header (a clerk's "register anyway").
OVERRIDE_HEADER = "HMS-Duplicate-Override-Reason"


def preferences(request) -> dict[str, str]:
    """The Prefer header (RFC 7240) as a dict: return=..., handling=..."""
    found = {}
    for part in request.headers.get("Prefer", "").split(","):
        key, _, value = part.strip().partition("=")
        if key:
            found[key.strip().lower()] = value.strip().strip('"').lower()
    return found


def is_lenient(request) -> bool:
    return preferences(request).get("handling") == "lenient"


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def resource_body(request, patient: Patient) -> dict[str, Any]:
    resource = mapper.to_fhir(patient, base_url=base_url(request))
    return resource.model_dump(mode="json", exclude_none=True)


def with_version_headers(response: Response, patient: Patient) -> Response:
    response["ETag"] = f'W/"{mapper.version_of(patient)}"'
    response["Last-Modified"] = http_date(patient.updated_at.timestamp())
    return response


@contextmanager
def element_paths(mapped: mapper.Mapped, root: str = "Patient"):
    """Turn the registry's refusals (named by our field) into ones naming the FHIR
    element the value came from."""
    try:
        yield
    except InvalidResource:
        raise
    except InvalidInput as exc:
        if not exc.field:
            raise
        raise InvalidResource([(mapped.path_of(exc.field, root), exc.message)]) from exc


def duplicates_conflict(request, exc: PossibleDuplicates, where: str = "Patient") -> Conflict:
    """409 naming the likely matches; audited as reads of the records shown."""
    services.record_patient_reads(
        actor=request.user,
        patients=[m.patient for m in exc.matches],
        what="shown as a possible duplicate",
    )
    error = Conflict(exc.message, code=exc.code)
    error.issues = [
        (
            where,
            f"{exc.message} To go ahead, repeat the request with the header "
            f"{OVERRIDE_HEADER} saying why this is a different person.",
        ),
        *(
            (
                where,
                f"Possible duplicate Patient/{m.patient.external_id} "
                f"(score {m.score}: {', '.join(m.reasons) or 'similar'}).",
            )
            for m in exc.matches
        ),
    ]
    return error


def outcome_of_warnings(warnings: list[tuple[str, str]], text: str) -> dict[str, Any]:
    """An OperationOutcome carrying a lenient write's warnings (or one information)."""
    issues = [
        {
            "severity": "warning",
            "code": "informational",
            "diagnostics": message,
            "expression": [path],
        }
        for path, message in warnings
    ] or [{"severity": "information", "code": "informational", "diagnostics": text}]
    return OperationOutcome(issue=issues).model_dump(mode="json", exclude_none=True)


def _facility(request):
    return request._request.facility


def _record(request, resource_id) -> Patient:
    try:
        return lookups.patient_record(
            viewer=request.user, facility=_facility(request), external_id=resource_id
        )
    except NotFound as exc:
        raise NotFound(f"Patient/{resource_id} is not known here.") from exc


@register(
    ResourceRegistration(
        type="Patient",
        interactions=("read", "vread", "update", "search-type", "create"),
        search_params=SEARCH_PARAMS,
    )
)
class PatientTypeApi(PermissionByMethod, FhirApiView):
    permissions = {"GET": Perm.VIEW_PATIENT, "POST": Perm.REGISTER_PATIENT}

    def get(self, request):
        wanted = parse_search(request.query_params)
        page = lookups.find_patients(
            viewer=request.user,
            facility=_facility(request),
            criteria=wanted.criteria,
            limit=wanted.count,
            offset=wanted.offset,
        )
        services.record_patient_reads(actor=request.user, patients=page.results, what="FHIR search")
        return Response(_searchset(request, page, wanted.count, wanted.offset))

    def post(self, request):
        resource = parse_resource(request.data, FhirPatient)
        mapped = mapper.from_fhir(
            resource, facility=_facility(request), lenient=is_lenient(request)
        )
        with element_paths(mapped):
            try:
                patient = services.register_patient(
                    actor=request.user,
                    facility=_facility(request),
                    data=mapped.data,
                    duplicate_override_reason=request.headers.get(OVERRIDE_HEADER, ""),
                )
            except PossibleDuplicates as exc:
                raise duplicates_conflict(request, exc) from exc
        patient = _record(request, patient.external_id)
        response = _written(request, patient, mapped.warnings, status=201)
        response["Location"] = request.build_absolute_uri(
            f"/fhir/R4/Patient/{patient.external_id}/_history/{mapper.version_of(patient)}"
        )
        return response


def _written(request, patient: Patient, warnings, *, status: int) -> Response:
    """The answer to a create or update, shaped by Prefer: return=minimal | representation
    (the default) | OperationOutcome (which carries the warnings of a lenient write)."""
    wanted = preferences(request).get("return", "representation")
    if wanted == "minimal":
        response = Response(status=status)
    elif wanted == "operationoutcome":
        response = Response(outcome_of_warnings(warnings, "Saved."), status=status)
    else:
        response = Response(resource_body(request, patient), status=status)
    return with_version_headers(response, patient)


def _searchset(request, page: lookups.LookupPage, count: int, offset: int) -> dict:
    url = request.build_absolute_uri()
    links = [{"relation": "self", "url": url}]
    if offset + count < page.total and count:
        links.append(
            {"relation": "next", "url": replace_query_param(url, "_offset", offset + count)}
        )
    if offset:
        earlier = max(offset - count, 0)
        previous = (
            replace_query_param(url, "_offset", earlier)
            if earlier
            else remove_query_param(url, "_offset")
        )
        links.append({"relation": "previous", "url": previous})
    bundle = Bundle(
        type="searchset",
        total=page.total,
        link=links,
        entry=[
            {
                "fullUrl": request.build_absolute_uri(f"/fhir/R4/Patient/{p.external_id}"),
                "resource": mapper.to_fhir(p, base_url=base_url(request)),
                "search": {"mode": "match"},
            }
            for p in page.results
        ]
        or None,
    )
    return bundle.model_dump(mode="json", exclude_none=True)


class PatientInstanceApi(PermissionByMethod, FhirApiView):
    permissions = {"GET": Perm.VIEW_PATIENT, "PUT": Perm.EDIT_PATIENT}

    def get(self, request, resource_id):
        patient = _record(request, resource_id)
        services.record_patient_read(actor=request.user, patient=patient, what="FHIR read")
        return with_version_headers(Response(resource_body(request, patient)), patient)

    def put(self, request, resource_id):
        patient = _record(request, resource_id)
        resource = parse_resource(request.data, FhirPatient)
        if resource.id != str(resource_id):
            raise InvalidResource(
                [("Patient.id", f"Must be {resource_id}, the id in the address.")]
            )
        warnings = update_from_fhir(request, patient, resource, lenient=is_lenient(request))
        patient = _record(request, resource_id)
        return _written(request, patient, warnings, status=200)


def update_from_fhir(
    request, patient: Patient, resource: FhirPatient, *, root: str = "Patient", lenient: bool
) -> list:
    """Apply a validated Patient to the record; returns the warnings of a lenient read."""
    mapped = mapper.from_fhir(
        resource,
        facility=patient.facility,
        base=lookups.patient_as_input(patient),
        lenient=lenient,
    )
    with element_paths(mapped, root):
        services.update_patient(
            actor=request.user, patient=patient, data=mapped.data, reason="FHIR update"
        )
    return mapped.warnings


class PatientVersionApi(FhirApiView):
    """vread of the current version; earlier versions are not kept (the audit trail and
    the timeline say what changed, not what the values were)."""

    required_permission = Perm.VIEW_PATIENT

    def get(self, request, resource_id, version_id):
        patient = _record(request, resource_id)
        if version_id != mapper.version_of(patient):
            raise NotFound(
                f"Patient/{resource_id} version {version_id} is not kept; only the current "
                f"version ({mapper.version_of(patient)}) can be read."
            )
        services.record_patient_read(actor=request.user, patient=patient, what="FHIR vread")
        return with_version_headers(Response(resource_body(request, patient)), patient)
