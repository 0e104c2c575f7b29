"""A real SMTP server for tests: aiosmtpd on a free local port, keeping what it receives."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller

SENDER = "placemaker <noreply@example.org>"


class Inbox:
    """What the server received: (recipients, message) per mail."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.received if address in rcpt]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Message]:
        """The mails to ``address`` once ``count`` have arrived (a live server sends them from
        its own thread, just after it answered the browser)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(address)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[tuple[Inbox, str]]:
    """(the inbox, the server's SMTP_URL) while the server runs, on ``port`` or a free one."""
    inbox = Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def body(message: Message) -> str:
    text = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return text.replace("\r\n", "\n")
