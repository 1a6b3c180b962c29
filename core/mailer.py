"""Outgoing e-mail over SMTP (the standard library's smtplib, run in a worker thread).

Mail is disabled unless SMTP_HOST is set (`core.settings.MailSettings`): the outbox dispatcher
then leaves messages pending instead of burning their attempts on a server that is not there.
One connection per message keeps failures independent; the outbox sends a handful at a time,
so connection reuse would buy little.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from core.settings import MailSettings


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "application/pdf"
    content: bytes


class MailDisabled(RuntimeError):
    """Sending was asked for while no SMTP server is configured."""


class PermanentMailError(RuntimeError):
    """The server refused the message for good (a 5xx answer): retrying will not help."""


def compose(
    *, to: str, subject: str, body: str, attachments: Sequence[Attachment] = (), sender: str | None = None
) -> EmailMessage:
    """A plain-text message with attachments; the mailer fills in From when `sender` is None."""
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    return message


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the SMTP server; raises on any failure (PermanentMailError for 5xx)."""
        if not self.enabled:
            raise MailDisabled("mail is disabled (SMTP_HOST is not set)")
        if message["From"] is None:
            message["From"] = self.settings.sender
        if message["Date"] is None:
            message["Date"] = formatdate(localtime=False)
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid(domain=self.settings.sender.rpartition("@")[2] or None)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        settings = self.settings
        assert settings.host is not None
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentMailError(f"recipients refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            # A refused login or sender is our configuration, fixed by an operator: keep retrying.
            ours = isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPSenderRefused)
            if exc.smtp_code >= 500 and not ours:
                raise PermanentMailError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
