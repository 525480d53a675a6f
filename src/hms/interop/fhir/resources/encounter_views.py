"""FHIR R4 Encounter: read and search of the facility's visits, for whoever sees its
patients (VIEW_PATIENT); each visit shown is audited as a read of the patient's data."""

from __future__ import annotations

from hms.accounts.permissions import Perm
from hms.interop.fhir.base import ResourceRegistration, register
from hms.interop.fhir.resources import encounter as mapper
from hms.interop.fhir.resources.generic_views import ReadApi, ResourceApi, SearchApi
from hms.scheduling.times import zone_of


class _EncounterApi(ResourceApi):
    required_permission = Perm.VIEW_PATIENT
    resource_type = "Encounter"
    search_params = mapper.SEARCH_PARAMS

    def visible(self, request):
        return mapper.encounters(request.user, self.facility(request))

    def narrow(self, request, qs):
        return mapper.search(qs, request.query_params, zone_of(self.facility(request)))

    def to_fhir(self, request, row):
        return mapper.to_fhir(row, zone_of(self.facility(request)))

    def patient_of(self, row):
        return row.patient


@register(
    ResourceRegistration(
        type="Encounter",
        interactions=("read", "search-type"),
        search_params=mapper.SEARCH_PARAMS,
    )
)
class EncounterSearchApi(_EncounterApi, SearchApi):
    pass


class EncounterReadApi(_EncounterApi, ReadApi):
    pass
