"""FHIR R4 Schedule and Slot: read and search, for whoever sees the facility's
schedules (VIEW_SCHEDULE), as the REST slots endpoint."""

from __future__ import annotations

from hms.accounts.permissions import Perm
from hms.interop.fhir.base import ResourceRegistration, register
from hms.interop.fhir.resources import scheduling as mapper
from hms.interop.fhir.resources.generic_views import ReadApi, ResourceApi, SearchApi
from hms.scheduling.times import zone_of


class _ScheduleApi(ResourceApi):
    required_permission = Perm.VIEW_SCHEDULE
    resource_type = "Schedule"
    search_params = mapper.SCHEDULE_PARAMS

    def visible(self, request):
        return mapper.schedules(request.user, self.facility(request))

    def narrow(self, request, qs):
        return mapper.search_schedules(qs, request.query_params, self.facility(request))

    def to_fhir(self, request, row):
        return mapper.schedule_to_fhir(row)


@register(
    ResourceRegistration(
        type="Schedule",
        interactions=("read", "search-type"),
        search_params=mapper.SCHEDULE_PARAMS,
    )
)
class ScheduleSearchApi(_ScheduleApi, SearchApi):
    pass


class ScheduleReadApi(_ScheduleApi, ReadApi):
    pass


class _SlotApi(ResourceApi):
    required_permission = Perm.VIEW_SCHEDULE
    resource_type = "Slot"
    search_params = mapper.SLOT_PARAMS

    def visible(self, request):
        return mapper.with_related(mapper.slots(request.user, self.facility(request)))

    def narrow(self, request, qs):
        return mapper.search_slots(qs, request.query_params, self.facility(request))

    def lookup(self, resource_id):
        if not resource_id.isascii() or not resource_id.isdigit() or len(resource_id) > 18:
            return {"pk__in": []}
        return {"pk": int(resource_id)}

    def row(self, request, resource_id):
        found = super().row(request, resource_id)
        mapper.load_specialties([found])
        return found

    def to_fhir(self, request, row):
        return mapper.slot_to_fhir(row, zone_of(self.facility(request)))


@register(
    ResourceRegistration(
        type="Slot",
        interactions=("read", "search-type"),
        search_params=mapper.SLOT_PARAMS,
    )
)
class SlotSearchApi(_SlotApi, SearchApi):
    def page(self, request, qs, page):
        zone = zone_of(self.facility(request))
        found = mapper.page_of_slots(qs, request.query_params, page, zone)
        mapper.load_specialties(found.rows)
        return found


class SlotReadApi(_SlotApi, ReadApi):
    pass
