"""The REST API's shared pieces: one exception handler for every view."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from hms.core.errors import DomainError


def _body_for(exc: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, DomainError):
        return exc.status, exc.as_dict()
    if isinstance(exc, RequestDataTooBig):
        return 413, {
            "code": "REQUEST_TOO_LARGE",
            "detail": "The request body is too large.",
        }
    if isinstance(exc, DjangoValidationError):
        return 400, {"code": "INVALID_INPUT", "detail": "; ".join(exc.messages)}
    return 0, {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain, validation and transport errors into JSON with a code and a reason.

    Every body has `code` (stable, UPPER_SNAKE) and `detail` (for people); field
    validation errors add `errors`, keyed by field name.
    """
    code, body = _body_for(exc)
    if code:
        response = Response(body, status=code)
    else:
        if isinstance(exc, Http404):
            exc = exceptions.NotFound()
        elif isinstance(exc, PermissionDenied):
            exc = exceptions.PermissionDenied()
        response = drf_exception_handler(exc, context)
        if response is None:
            return None
        response.data = _normalise(exc, response.data)
    return response


def _normalise(exc: Exception, data: Any) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        fields = sorted(data) if isinstance(data, dict) else []
        detail = f"Invalid input: {', '.join(fields)}." if fields else "Invalid input."
        return {"code": "INVALID_INPUT", "detail": detail, "errors": data}
    code = getattr(exc, "default_code", "error")
    detail = data.get("detail", "") if isinstance(data, dict) else str(data)
    return {"code": str(code).upper(), "detail": str(detail)}
