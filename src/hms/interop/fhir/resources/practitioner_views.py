"""FHIR R4 Practitioner and PractitionerRole: read and search, for whoever sees the
facility's schedules (VIEW_SCHEDULE), as the REST staff directory."""

from __future__ import annotations

from hms.accounts.permissions import Perm
from hms.interop.fhir.base import ResourceRegistration, register
from hms.interop.fhir.resources import practitioner as mapper
from hms.interop.fhir.resources.generic_views import ReadApi, ResourceApi, SearchApi


class _PractitionerApi(ResourceApi):
    required_permission = Perm.VIEW_SCHEDULE
    resource_type = "Practitioner"
    search_params = mapper.PRACTITIONER_PARAMS

    def visible(self, request):
        return mapper.practitioners(request.user, self.facility(request))

    def narrow(self, request, qs):
        return mapper.search_practitioners(qs, request.query_params)

    def to_fhir(self, request, row):
        return mapper.to_fhir(row)


@register(
    ResourceRegistration(
        type="Practitioner",
        interactions=("read", "search-type"),
        search_params=mapper.PRACTITIONER_PARAMS,
    )
)
class PractitionerSearchApi(_PractitionerApi, SearchApi):
    pass


class PractitionerReadApi(_PractitionerApi, ReadApi):
    pass


class _RoleApi(ResourceApi):
    required_permission = Perm.VIEW_SCHEDULE
    resource_type = "PractitionerRole"
    search_params = mapper.ROLE_PARAMS

    def visible(self, request):
        return mapper.roles(request.user, self.facility(request))

    def narrow(self, request, qs):
        return mapper.search_roles(qs, request.query_params)

    def to_fhir(self, request, row):
        return mapper.role_to_fhir(row)


@register(
    ResourceRegistration(
        type="PractitionerRole",
        interactions=("read", "search-type"),
        search_params=mapper.ROLE_PARAMS,
    )
)
class PractitionerRoleSearchApi(_RoleApi, SearchApi):
    pass


class PractitionerRoleReadApi(_RoleApi, ReadApi):
    pass
