"""Text messages (SMS) through a pluggable backend, as Django's EMAIL_BACKEND is for email.

`HMS_SMS_BACKEND` names the class (default: the console). A real provider is a class with
`send(message)` that raises `SmsError` when the provider refuses or cannot be reached,
so the caller can retry. Shipped here:

- `ConsoleBackend` writes each message to standard output (development, the demo);
- `FileBackend` appends one JSON line per message to `sms.jsonl` in the data folder
  (`HMS_SMS_FILE` to move it), for a gateway that picks files up, or to read back;
- `LocmemBackend` keeps them in `hms.core.sms.outbox` (tests).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """The message was not accepted; it may be tried again."""


@dataclass(frozen=True)
class Sms:
    to: str  # E.164, "+254712345678"
    body: str
    reference: str = ""  # the sender's id of the message, for matching delivery reports


class BaseBackend:
    def send(self, message: Sms) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, message: Sms) -> None:
        sys.stdout.write(f"SMS to {message.to} [{message.reference}]: {message.body}\n")
        sys.stdout.flush()


class FileBackend(BaseBackend):
    # One write per line, under a lock: threads of one worker never interleave, and
    # O_APPEND keeps the lines of several worker processes whole.
    _lock = threading.Lock()

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path or getattr(settings, "HMS_SMS_FILE", settings.DATA_DIR / "sms.jsonl"))

    def send(self, message: Sms) -> None:
        line = (json.dumps(asdict(message), ensure_ascii=False) + "\n").encode()
        try:
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise SmsError(f"could not write {self.path.name}: {exc.strerror}") from exc


outbox: list[Sms] = []


class LocmemBackend(BaseBackend):
    def send(self, message: Sms) -> None:
        outbox.append(message)


def get_backend() -> BaseBackend:
    path = getattr(settings, "HMS_SMS_BACKEND", "hms.core.sms.ConsoleBackend")
    return import_string(path)()


def send_sms(message: Sms, backend: BaseBackend | None = None) -> None:
    """Send one message; raises SmsError when it was not accepted."""
    (backend or get_backend()).send(message)
