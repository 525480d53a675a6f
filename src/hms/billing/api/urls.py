from django.urls import path

from hms.billing.api import views

urlpatterns = [
    path("billing/items/", views.ItemListCreateApi.as_view(), name="billing-item-list"),
    path(
        "billing/price-lists/",
        views.PriceListListCreateApi.as_view(),
        name="billing-price-list-list",
    ),
    path(
        "billing/price-lists/<uuid:external_id>/prices/",
        views.PriceListPricesApi.as_view(),
        name="billing-price-list-prices",
    ),
    path("billing/charges/", views.ChargeListCreateApi.as_view(), name="billing-charge-list"),
    path(
        "billing/charges/<uuid:external_id>/void/",
        views.ChargeVoidApi.as_view(),
        name="billing-charge-void",
    ),
    path("billing/invoices/", views.InvoiceListCreateApi.as_view(), name="billing-invoice-list"),
    path(
        "billing/invoices/<uuid:external_id>/",
        views.InvoiceDetailApi.as_view(),
        name="billing-invoice-detail",
    ),
    path(
        "billing/invoices/<uuid:external_id>/discount/",
        views.InvoiceDiscountApi.as_view(),
        name="billing-invoice-discount",
    ),
    path(
        "billing/invoices/<uuid:external_id>/finalise/",
        views.InvoiceFinaliseApi.as_view(),
        name="billing-invoice-finalise",
    ),
]
