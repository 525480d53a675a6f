"""Facilities and their departments as FHIR Organization (departments are partOf their
facility), and the payers claims are sent to (type "pay", as Coverage.payor names them)."""

from __future__ import annotations

import uuid

from fhir.resources.R4B.organization import Organization
from rest_framework.response import Response

from hms.accounts import policies
from hms.accounts.permissions import Perm
from hms.billing.models import Payer
from hms.core.errors import NotFound
from hms.core.models import Department, Facility
from hms.interop.fhir.base import FhirApiView, ResourceRegistration, register
from hms.interop.fhir.resources import searching

SYSTEM_FACILITY = "urn:hms:facility-code"
SYSTEM_DEPARTMENT = "urn:hms:department-code"
SYSTEM_PAYER = "urn:hms:payer"  # as Coverage.payor and Claim.insurer identify it
SYSTEM_X12_PAYER = "urn:hms:x12-payer-id"


def facility_to_fhir(facility: Facility) -> Organization:
    return Organization(
        id=str(facility.external_id),
        active=facility.is_active,
        identifier=[{"system": SYSTEM_FACILITY, "value": facility.code}],
        type=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ]
            }
        ],
        name=facility.name,
        telecom=[{"system": "phone", "value": facility.phone}] if facility.phone else None,
        address=[{"text": facility.address}] if facility.address else None,
    )


def department_to_fhir(department: Department) -> Organization:
    return Organization(
        id=str(department.external_id),
        active=department.is_active,
        identifier=[{"system": SYSTEM_DEPARTMENT, "value": department.code}],
        type=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "dept",
                        "display": "Hospital Department",
                    }
                ],
                "text": department.get_kind_display(),
            }
        ],
        name=department.name,
        partOf={"reference": f"Organization/{department.facility.external_id}"},
    )


def payer_to_fhir(payer: Payer) -> Organization:
    identifiers = [{"system": SYSTEM_PAYER, "value": payer.code}]
    if payer.x12_payer_id:
        identifiers.append({"system": SYSTEM_X12_PAYER, "value": payer.x12_payer_id})
    return Organization(
        id=str(payer.external_id),
        active=payer.is_active,
        identifier=identifiers,
        type=[
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "pay",
                        "display": "Payer",
                    }
                ],
                "text": payer.get_kind_display(),
            }
        ],
        name=payer.name,
    )


def _visible(user) -> tuple[list[Facility], list[Department]]:
    facilities = [
        f
        for f in policies.facilities_of(user)
        if policies.has_permission(user, Perm.VIEW_FACILITY, f)
    ]
    departments = list(
        Department.objects.filter(facility__in=facilities).select_related("facility")
    )
    return facilities, departments


@register(
    ResourceRegistration(
        type="Organization",
        interactions=("read", "search-type"),
        search_params=(("name", "string"), ("identifier", "token"), ("_id", "token")),
    )
)
class OrganizationSearchApi(FhirApiView):
    required_permission = Perm.VIEW_FACILITY

    def get(self, request):
        page = searching.check_params(
            request.query_params, "Organization", ("name", "identifier", "_id")
        )
        facilities, departments = _visible(request.user)
        resources = [
            *(facility_to_fhir(f) for f in facilities),
            *(department_to_fhir(d) for d in departments),
            *(payer_to_fhir(p) for p in Payer.objects.filter(facility__in=facilities)),
        ]
        matched = [r for r in resources if _matches(r, request.query_params)]
        shown = matched[page.offset : page.offset + page.count]
        found = searching.Found(
            rows=shown, more=page.offset + len(shown) < len(matched), total=len(matched)
        )
        return Response(searching.searchset(request, "Organization", shown, page=page, found=found))


def _matches(resource: Organization, params) -> bool:
    name = params.get("name", "").casefold()
    if name and not (resource.name or "").casefold().startswith(name):
        return False
    if (wanted := params.get("_id")) and resource.id != wanted:
        return False
    if identifier := params.get("identifier"):
        # FHIR token: "value" (any system), "system|value", "|value" (no system), "system|".
        system, sep, value = identifier.rpartition("|")
        if not any(
            (not sep or i.system == (system or None)) and (i.value == value or (sep and not value))
            for i in resource.identifier
        ):
            return False
    return True


class OrganizationReadApi(FhirApiView):
    required_permission = Perm.VIEW_FACILITY

    def get(self, request, resource_id):
        facilities, departments = _visible(request.user)
        for facility in facilities:
            if str(facility.external_id) == str(resource_id):
                return Response(
                    facility_to_fhir(facility).model_dump(mode="json", exclude_none=True)
                )
        department = next((d for d in departments if str(d.external_id) == str(resource_id)), None)
        if department is None:
            payer = Payer.objects.filter(
                facility__in=facilities, external_id=_uuid_or_none(resource_id)
            ).first()
            if payer is None:
                raise NotFound(f"Organization/{resource_id} is not known here.")
            return Response(payer_to_fhir(payer).model_dump(mode="json", exclude_none=True))
        return Response(department_to_fhir(department).model_dump(mode="json", exclude_none=True))


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
