"""Who is acting and from where, for the length of one request or command.

The audit trail needs the source address, user agent, facility and roles of every
action, but services should not take a request object. The request middleware (or a
CLI command) sets this context; `hms.audit` reads it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace


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


@dataclass
class PatientsShown:
    """The patients one request has shown, in the order first shown, and what showed them.

    Patients named by an audit event the request wrote (a registration, an update) are
    kept apart: that event already records who touched them.
    """

    patients: dict[str, None] = field(default_factory=dict)
    what: dict[str, None] = field(default_factory=dict)
    audited: set[str] = field(default_factory=set)

    def unaudited(self) -> list[str]:
        return [p for p in self.patients if p not in self.audited]


# Set only while a request is being answered (the audit middleware), so reads by
# commands and background work are recorded as they happen instead.
_shown: contextvars.ContextVar[PatientsShown | None] = contextvars.ContextVar(
    "hms_patients_shown", default=None
)


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


@contextmanager
def collecting_patients_shown() -> Iterator[PatientsShown]:
    token = _shown.set(PatientsShown())
    try:
        yield _shown.get()
    finally:
        _shown.reset(token)


@contextmanager
def reading_patients_not_shown() -> Iterator[None]:
    """Patient rows read inside are not noted as shown: candidates a duplicate check
    scores and drops, for instance. What is then shown is noted as it is read again."""
    token = _shown.set(None)
    try:
        yield
    finally:
        _shown.reset(token)


def note_patients_shown(patient_ids: Iterable[object], *, what: str = "") -> bool:
    """Note patients (by public id) whose data this request shows.

    Returns False when no request is collecting, so the caller records the read itself.
    """
    shown = _shown.get()
    if shown is None:
        return False
    for patient_id in patient_ids:
        shown.patients[str(patient_id)] = None
    if what:
        shown.what[what] = None
    return True


def note_patients_audited(patient_ids: Iterable[str]) -> None:
    shown = _shown.get()
    if shown is not None:
        shown.audited.update(patient_ids)
