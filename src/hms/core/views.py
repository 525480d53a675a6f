from __future__ import annotations

import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database state for load balancers and monitoring."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        body = {
            "status": "unavailable",
            "database": {"vendor": connection.vendor, "ok": False},
        }
        return JsonResponse(body, status=503)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    body = {
        "status": "ok",
        "version": settings.HMS_VERSION,
        "database": {"vendor": connection.vendor, "ok": True, "latency_ms": latency_ms},
    }
    return JsonResponse(body)


def address_unknown(view):
    """Marks a catch-all view: its 404 says no endpoint is here, not that an object the
    address names is missing (which the audit trail records as an attempt)."""
    view.address_unknown = True
    return view


@address_unknown
@csrf_exempt  # changes nothing; a bearer-token client sends no CSRF token
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown addresses under /api/ answer JSON like the rest of the API, whatever
    the method."""
    return JsonResponse(
        {"code": "NOT_FOUND", "detail": "There is no API endpoint here."}, status=404
    )


def private_file(content: bytes, content_type: str) -> HttpResponse:
    """Bytes of a patient's record (a photo) for the one viewer who asked: no browser,
    proxy or shared cache keeps a copy, and the browser takes the declared type as it
    is rather than sniffing another (the bytes were re-encoded, but say so anyway)."""
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
