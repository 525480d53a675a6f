"""REST endpoints of online payments: a cashier opens a gateway's checkout for an
invoice, and the gateway's webhook reports the payment, which is posted once.

The webhook is called by the provider, not by a user: it carries no session or token
(so no CSRF either), and the gateway verifies its signature over the raw body before
anything in it is read. A delivery that confirms a payment posted already answers 200
again, so that the provider stops retrying.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from hms.accounts.permissions import Perm
from hms.billing import selectors
from hms.billing.api.lookups import facility_of
from hms.billing.api.serializers import AmountField
from hms.billing.gateways import gateway_for
from hms.billing.services.online import record_online_payment, start_online_checkout
from hms.core.api.fields import StrictSerializer
from hms.core.errors import Conflict

# Stripe's events are a few kilobytes; anything far larger is not one.
MAX_WEBHOOK_BYTES = 256 * 1024


class WebhookThrottle(AnonRateThrottle):
    """Per calling address: a provider's retries fit well under it, a flood does not."""

    scope = "payment_webhook"
    rate = "300/min"


class CheckoutStartSerializer(StrictSerializer):
    gateway = serializers.CharField(max_length=20)


class CheckoutSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    reference = serializers.CharField()
    amount = AmountField()
    currency = serializers.CharField()
    redirect_url = serializers.CharField(allow_null=True)


class InvoiceCheckoutApi(APIView):
    required_permission = Perm.TAKE_PAYMENT

    @extend_schema(
        request=CheckoutStartSerializer,
        responses={201: CheckoutSerializer},
        summary="Open an online payment of the invoice's balance (a payment link)",
    )
    def post(self, request, external_id):
        invoice = selectors.invoice_of(
            viewer=request.user, facility=facility_of(request), external_id=external_id
        )
        body = CheckoutStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        checkout = start_online_checkout(
            actor=request.user, invoice=invoice, gateway=body.validated_data["gateway"]
        )
        return Response(CheckoutSerializer(checkout).data, status=201)


class StripeWebhookApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [WebhookThrottle]
    parser_classes: list = []  # the body is verified raw, never parsed here

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: OpenApiTypes.OBJECT},
        summary="Stripe's event notifications (signed with the endpoint's secret)",
    )
    def post(self, request):
        body = _bounded_body(request)
        confirmed = gateway_for("stripe").verify_webhook(body=body, headers=request.headers)
        if confirmed is None:
            return Response({"received": True})
        try:
            payment = record_online_payment(confirmed=confirmed)
        except Conflict:
            # Two deliveries of one event at once: the one that waited on the invoice's
            # lock finds it paid; asking again answers the payment the other posted.
            payment = record_online_payment(confirmed=confirmed)
        return Response({"received": True, "payment": str(payment.external_id)})


def _bounded_body(request) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # as Django reads it: no body
    if length > MAX_WEBHOOK_BYTES:
        raise RequestDataTooBig(f"A webhook body is at most {MAX_WEBHOOK_BYTES} bytes.")
    return request.body
