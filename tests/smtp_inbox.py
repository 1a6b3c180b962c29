"""A real SMTP server for tests: aiosmtpd on a free port, keeping what it accepted."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from core.mailer import Mailer
from core.settings import MailSettings


@dataclass
class Inbox:
    """An SMTP server's handler: keeps what it accepted, or answers `reply` to DATA."""

    reply: str = "250 Message accepted"
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.reply.startswith("250"):
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append((list(envelope.rcpt_tos), parsed))
        return self.reply


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int

    @property
    def mailer(self) -> Mailer:
        return Mailer(MailSettings(host="127.0.0.1", port=self.port, sender="service@example.com", timeout_seconds=5))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()
