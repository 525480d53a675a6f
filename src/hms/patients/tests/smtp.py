"""A real SMTP server on a free local port (aiosmtpd), for tests that send email."""

from __future__ import annotations

import email
import email.message
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

# aiosmtpd logs every connection at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Inbox:
    """What the server received; set `refuse` ("451 ...") to turn every message away."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.refuse = ""

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return self.refuse
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def references(self) -> list[str]:
        return [m["X-HMS-Reference"] for m in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
