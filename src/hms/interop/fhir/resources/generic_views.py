"""Read and search views shared by the directory, scheduling and visit resources: each
resource says which rows the viewer may see, how a search narrows them, and how a row
becomes a resource; reads of a patient's data are audited here."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework.response import Response

from hms.audit.services import Action, record_event, record_events
from hms.core.errors import NotFound
from hms.interop.fhir.base import FhirApiView
from hms.interop.fhir.resources import searching


class ResourceApi(FhirApiView):
    resource_type: str = ""
    search_params: tuple[tuple[str, str], ...] = ()

    def visible(self, request) -> QuerySet:
        raise NotImplementedError

    def narrow(self, request, qs: QuerySet) -> QuerySet:
        raise NotImplementedError

    def to_fhir(self, request, row: Model) -> Any:
        raise NotImplementedError

    def patient_of(self, row: Model) -> Any:
        """The patient a row belongs to (an Appointment's, an Encounter's), whose reads
        are audited; None for rows that are no patient's data."""
        return None

    def facility(self, request):
        return request._request.facility

    def body(self, request, row: Model) -> dict[str, Any]:
        return self.to_fhir(request, row).model_dump(mode="json", exclude_none=True)

    def row(self, request, resource_id: str) -> Model:
        found = self.visible(request).filter(**self.lookup(resource_id)).first()
        if found is None:
            raise NotFound(f"{self.resource_type}/{resource_id} is not known here.")
        return found

    def lookup(self, resource_id: str) -> dict[str, Any]:
        try:
            key = searching.uuid_id(resource_id, self.resource_type, "id")
        except searching.InvalidResource as exc:
            raise NotFound(f"{self.resource_type}/{resource_id} is not known here.") from exc
        return {"external_id": key}

    def audit(self, request, rows: list[Model], what: str) -> None:
        if not rows or self.patient_of(rows[0]) is None:
            return
        record_events(
            action=Action.READ,
            actor=request.user,
            objs=rows,
            patient_ids=[str(self.patient_of(r).external_id) for r in rows],
            reason=f"{what} {self.resource_type}",
        )


class SearchApi(ResourceApi):
    def page(self, request, qs: QuerySet, page: searching.Page) -> searching.Found:
        return searching.page_of(qs, page)

    def get(self, request):
        page = searching.check_params(
            request.query_params, self.resource_type, (n for n, _ in self.search_params)
        )
        found = self.page(request, self.narrow(request, self.visible(request)), page)
        self.audit(request, found.rows, "FHIR search")
        resources = [self.to_fhir(request, row) for row in found.rows]
        return Response(
            searching.searchset(request, self.resource_type, resources, page=page, found=found)
        )


class ReadApi(ResourceApi):
    def get(self, request, resource_id):
        found = self.row(request, resource_id)
        if self.patient_of(found) is not None:
            record_event(
                action=Action.READ,
                actor=request.user,
                obj=found,
                patient_id=str(self.patient_of(found).external_id),
                reason=f"FHIR read {self.resource_type}",
            )
        return Response(self.body(request, found))
