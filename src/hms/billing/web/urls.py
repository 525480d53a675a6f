from django.urls import path

from hms.billing.web import (
    account,
    claims,
    corrections,
    desk,
    invoice,
    payment,
    remittances,
    shift,
)

app_name = "billing"

urlpatterns = [
    path("", desk.desk, name="desk"),
    path("items/", account.item_options, name="item-options"),
    path("patients/<uuid:external_id>/", account.account, name="account"),
    path("patients/<uuid:external_id>/invoice/", account.draft, name="draft-invoice"),
    path("patients/<uuid:external_id>/charges/", account.add_charge, name="add-charge"),
    path("patients/<uuid:external_id>/deposit/", account.deposit, name="deposit"),
    path("invoices/<uuid:external_id>/", invoice.invoice, name="invoice"),
    path("invoices/<uuid:external_id>/pdf/", invoice.pdf, name="invoice-pdf"),
    path("invoices/<uuid:external_id>/discount/", invoice.discount, name="discount"),
    path("invoices/<uuid:external_id>/finalise/", invoice.finalise, name="finalise"),
    path("invoices/<uuid:external_id>/pay/", payment.pay, name="pay"),
    path("invoices/<uuid:external_id>/apply-deposit/", invoice.apply_deposit, name="apply-deposit"),
    path("invoices/<uuid:external_id>/refund/", invoice.refund, name="refund"),
    path("invoices/<uuid:external_id>/credit-note/", corrections.credit_note, name="credit-note"),
    path("invoices/<uuid:external_id>/void/", corrections.void, name="void"),
    path("invoices/<uuid:external_id>/claim/", claims.build, name="claim-build"),
    path("claims/", claims.worklist, name="claims"),
    path("claims/export/", claims.export, name="claims-export"),
    path("claims/<uuid:external_id>/", claims.claim, name="claim"),
    path("claims/<uuid:external_id>/acknowledge/", claims.acknowledge, name="claim-acknowledge"),
    path("claims/<uuid:external_id>/correct/", claims.correct, name="claim-correct"),
    path("remittances/", remittances.remittances, name="remittances"),
    path("remittances/upload/", remittances.upload, name="remittance-upload"),
    path("remittances/<uuid:external_id>/", remittances.remittance, name="remittance"),
    path("receipts/<uuid:external_id>/", payment.receipt, name="receipt"),
    path("receipts/<uuid:external_id>/pdf/", payment.receipt_pdf, name="receipt-pdf"),
    path("shift/", shift.shift_page, name="shift"),
    path("shift/open/", shift.open_shift, name="shift-open"),
    path("shifts/<uuid:external_id>/close/", shift.close, name="shift-close"),
    path("shifts/<uuid:external_id>/hand-over/", shift.hand_over, name="shift-hand-over"),
]
