from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from hms.core import context

# The machine doors: REST and FHIR.
API_PREFIXES = ("/api/", "/fhir/")


def client_ip(request: HttpRequest) -> str:
    """The caller's address; X-Forwarded-For is trusted only behind our own TLS proxy."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45]
    return request.META.get("REMOTE_ADDR", "")[:45]


def _printable(value: str, limit: int) -> str:
    return "".join(c for c in value[:limit] if c.isprintable())


class RequestContextMiddleware:
    """Binds the request's source address and user agent for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith(API_PREFIXES) else "web"
        ctx = context.RequestContext(
            source_ip=client_ip(request),
            user_agent=_printable(request.META.get("HTTP_USER_AGENT", ""), 300),
            channel=channel,
        )
        with context.bound(ctx):
            return self.get_response(request)


class SecureCookiesOverTlsMiddleware:
    """Marks every cookie Secure when the request itself came over TLS.

    HMS_HTTPS sets this globally; this covers sites that serve both (a TLS front door
    and a plain-HTTP health probe) without leaking a session cookie over HTTPS that the
    browser would later send in the clear.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response


class ApiNoStoreMiddleware:
    """REST and FHIR answers are kept by no browser, proxy or shared cache, as pages
    with patient data are not: nearly every answer names a patient, and one rule for
    the whole door cannot miss the endpoint that does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIXES):
            patch_cache_control(response, private=True, no_store=True)
        return response


class RefuseInvalidUtf8Middleware:
    """A page's query string or form that is not UTF-8 is answered 400, as the REST API
    answers such a JSON body. Django would read each bad byte as U+FFFD, and the form
    would store the replacement characters as the patient's name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIXES) and _not_utf8(request):
            reason = _(
                "The address or the form sent text that is not UTF-8, so it was not read. "
                "Type it again in the browser, or send it as UTF-8."
            )
            return render(request, "web/400.html", {"reason": reason}, status=400)
        return self.get_response(request)


def _not_utf8(request: HttpRequest) -> bool:
    # The server hands the query string over as its bytes read as Latin-1 (PEP 3333).
    query = request.META.get("QUERY_STRING", "")
    if _undecodable(query.encode("latin-1", errors="ignore")):
        return True
    if request.method != "POST":
        return False
    # A body over the size limit raises RequestDataTooBig here, answered 413 below the
    # audit middleware, which records the refusal.
    if request.content_type == "application/x-www-form-urlencoded":
        return _undecodable(request.body)
    if request.content_type == "multipart/form-data":
        # Parts are decoded as they are parsed; a byte that was not UTF-8 is left as
        # U+FFFD, which no one types.
        return any("\ufffd" in value for value in request.POST.values())
    return False


def _undecodable(encoded: bytes) -> bool:
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
