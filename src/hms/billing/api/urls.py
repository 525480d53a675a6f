from django.urls import path

from hms.billing.api import insurance_views, payment_views, shift_views, views

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
    path(
        "billing/invoices/<uuid:external_id>/pdf/",
        payment_views.InvoicePdfApi.as_view(),
        name="billing-invoice-pdf",
    ),
    path(
        "billing/invoices/<uuid:external_id>/apply-deposit/",
        payment_views.InvoiceApplyDepositApi.as_view(),
        name="billing-invoice-apply-deposit",
    ),
    path(
        "billing/payments/",
        payment_views.PaymentListCreateApi.as_view(),
        name="billing-payment-list",
    ),
    path(
        "billing/payments/<uuid:external_id>/",
        payment_views.PaymentDetailApi.as_view(),
        name="billing-payment-detail",
    ),
    path(
        "billing/payments/<uuid:external_id>/receipt/",
        payment_views.PaymentReceiptApi.as_view(),
        name="billing-payment-receipt",
    ),
    path(
        "billing/deposits/",
        payment_views.DepositListCreateApi.as_view(),
        name="billing-deposit-list",
    ),
    path(
        "billing/refunds/", payment_views.RefundListCreateApi.as_view(), name="billing-refund-list"
    ),
    path("billing/shifts/", shift_views.ShiftListOpenApi.as_view(), name="billing-shift-list"),
    path(
        "billing/shifts/current/",
        shift_views.ShiftCurrentApi.as_view(),
        name="billing-shift-current",
    ),
    path(
        "billing/shifts/<uuid:external_id>/",
        shift_views.ShiftDetailApi.as_view(),
        name="billing-shift-detail",
    ),
    path(
        "billing/shifts/<uuid:external_id>/close/",
        shift_views.ShiftCloseApi.as_view(),
        name="billing-shift-close",
    ),
    path(
        "billing/shifts/<uuid:external_id>/handover/",
        shift_views.ShiftHandoverApi.as_view(),
        name="billing-shift-handover",
    ),
    path(
        "billing/payers/", insurance_views.PayerListCreateApi.as_view(), name="billing-payer-list"
    ),
    path("billing/plans/", insurance_views.PlanListCreateApi.as_view(), name="billing-plan-list"),
    path(
        "billing/coverages/",
        insurance_views.CoverageListCreateApi.as_view(),
        name="billing-coverage-list",
    ),
    path(
        "billing/coverages/<uuid:external_id>/",
        insurance_views.CoverageDetailApi.as_view(),
        name="billing-coverage-detail",
    ),
    path(
        "billing/coverages/<uuid:external_id>/cancel/",
        insurance_views.CoverageCancelApi.as_view(),
        name="billing-coverage-cancel",
    ),
    path(
        "billing/coverages/<uuid:external_id>/eligibility/",
        insurance_views.CoverageEligibilityApi.as_view(),
        name="billing-coverage-eligibility",
    ),
    path(
        "billing/preauthorisations/",
        insurance_views.PreAuthorisationListCreateApi.as_view(),
        name="billing-preauthorisation-list",
    ),
    path(
        "billing/preauthorisations/<uuid:external_id>/decide/",
        insurance_views.PreAuthorisationDecideApi.as_view(),
        name="billing-preauthorisation-decide",
    ),
]
