"""Domain errors and the one place that maps them to HTTP status codes.

A service raises a `DomainError` subclass with a stable `code`; the web views turn it
into a form error, the REST API into a JSON body, and the FHIR API into an
OperationOutcome. The status lives on the class so every door answers alike.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "INVALID"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(DomainError):
    status = 400
    code = "INVALID_INPUT"


class NotPermitted(DomainError):
    status = 403
    code = "NOT_PERMITTED"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"
