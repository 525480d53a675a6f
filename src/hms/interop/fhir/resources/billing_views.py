"""FHIR R4 ChargeItem, Invoice and Coverage: read and search of the facility's
billing, for whoever the REST API shows it to (VIEW_BILLING); each row shown is
audited as a read of its patient's data."""

from __future__ import annotations

from hms.accounts.permissions import Perm
from hms.interop.fhir.base import ResourceRegistration, register
from hms.interop.fhir.resources import charge_item, coverage, invoice
from hms.interop.fhir.resources.generic_views import ReadApi, ResourceApi, SearchApi
from hms.scheduling.times import zone_of


class _BillingApi(ResourceApi):
    required_permission = Perm.VIEW_BILLING

    def zone(self, request):
        return zone_of(self.facility(request))

    def patient_of(self, row):
        return row.patient


class _ChargeItemApi(_BillingApi):
    resource_type = "ChargeItem"
    search_params = charge_item.SEARCH_PARAMS

    def visible(self, request):
        return charge_item.charges(request.user, self.facility(request))

    def narrow(self, request, qs):
        return charge_item.search(qs, request.query_params, self.zone(request))

    def to_fhir(self, request, row):
        return charge_item.to_fhir(row, self.zone(request))


@register(
    ResourceRegistration(
        type="ChargeItem",
        interactions=("read", "search-type"),
        search_params=charge_item.SEARCH_PARAMS,
    )
)
class ChargeItemSearchApi(_ChargeItemApi, SearchApi):
    pass


class ChargeItemReadApi(_ChargeItemApi, ReadApi):
    pass


class _InvoiceApi(_BillingApi):
    resource_type = "Invoice"
    search_params = invoice.SEARCH_PARAMS

    def visible(self, request):
        return invoice.invoices(request.user, self.facility(request))

    def narrow(self, request, qs):
        return invoice.search(qs, request.query_params, self.zone(request))

    def to_fhir(self, request, row):
        return invoice.to_fhir(row, self.zone(request))


@register(
    ResourceRegistration(
        type="Invoice",
        interactions=("read", "search-type"),
        search_params=invoice.SEARCH_PARAMS,
    )
)
class InvoiceSearchApi(_InvoiceApi, SearchApi):
    pass


class InvoiceReadApi(_InvoiceApi, ReadApi):
    pass


class _CoverageApi(_BillingApi):
    resource_type = "Coverage"
    search_params = coverage.SEARCH_PARAMS

    def visible(self, request):
        return coverage.coverages(request.user, self.facility(request))

    def narrow(self, request, qs):
        return coverage.search(qs, request.query_params)

    def to_fhir(self, request, row):
        return coverage.to_fhir(row)


@register(
    ResourceRegistration(
        type="Coverage",
        interactions=("read", "search-type"),
        search_params=coverage.SEARCH_PARAMS,
    )
)
class CoverageSearchApi(_CoverageApi, SearchApi):
    pass


class CoverageReadApi(_CoverageApi, ReadApi):
    pass
