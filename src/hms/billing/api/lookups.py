"""The rows a billing API call names, found in the caller's facility. A patient, visit or
price list named in a body that is not there is a 400 naming the field, whether it does
not exist or belongs to another facility: ids of other facilities are not confirmed."""

from __future__ import annotations

from hms.billing.models import Charge, PriceList
from hms.core.errors import InvalidInput, NotFound
from hms.core.models import Department
from hms.encounters.models import Encounter
from hms.patients.lookups import patient_row
from hms.patients.models import Patient
from hms.staff.models import Practitioner


def facility_of(request):
    return request._request.facility


def patient_in(request, external_id) -> Patient:
    try:
        return patient_row(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
    except NotFound:
        raise InvalidInput("No such patient in this facility.", field="patient") from None


def encounter_in(request, external_id) -> Encounter | None:
    if external_id is None:
        return None
    found = Encounter.objects.filter(external_id=external_id, facility=facility_of(request)).first()
    if found is None:
        raise InvalidInput("No such visit in this facility.", field="encounter")
    return found


def price_list_in(request, code: str | None) -> PriceList | None:
    if not code:
        return None
    found = PriceList.objects.filter(facility=facility_of(request), code=code).first()
    if found is None:
        raise InvalidInput("No such price list.", field="price_list")
    return found


def practitioner_in(request, external_id) -> Practitioner | None:
    if external_id is None:
        return None
    found = Practitioner.objects.filter(
        external_id=external_id, facility=facility_of(request)
    ).first()
    if found is None:
        raise InvalidInput("No such practitioner in this facility.", field="practitioner")
    return found


def department_in(request, code: str | None) -> Department | None:
    if not code:
        return None
    found = Department.objects.filter(facility=facility_of(request), code=code).first()
    if found is None:
        raise InvalidInput("No such department in this facility.", field="department")
    return found


def charge_in(request, external_id) -> Charge:
    found = (
        Charge.objects.select_related("facility", "patient", "item")
        .filter(external_id=external_id, facility=facility_of(request))
        .first()
    )
    if found is None:
        raise NotFound("No such charge.")
    return found
