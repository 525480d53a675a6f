"""Who is acting and from where, for the length of one request or command.

The audit trail needs the source address, user agent, facility and roles of every
action, but services should not take a request object. The request middleware (or a
CLI command) sets this context; `hms.audit` reads it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    source_ip: str = ""
    user_agent: str = ""
    facility_code: str = ""
    roles: tuple[str, ...] = ()
    channel: str = "web"


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "hms_request_context",
    default=RequestContext(channel="system"),  # noqa: B039 (frozen)
)


# Whether anything was written to the audit trail during this request, so a refused
# request is recorded once: by the code that refused it, or else by the catch-all.
_audited: contextvars.ContextVar[bool] = contextvars.ContextVar("hms_audited", default=False)


def current() -> RequestContext:
    return _current.get()


def update(**changes: object) -> None:
    _current.set(replace(_current.get(), **changes))


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    token, audited_token = _current.set(ctx), _audited.set(False)
    try:
        yield ctx
    finally:
        _current.reset(token)
        _audited.reset(audited_token)


def mark_audited() -> None:
    _audited.set(True)


def was_audited() -> bool:
    return _audited.get()
