"""Delivering the key-share email: by SMTP when configured, else to a local outbox.

The email is the seed's (tass.md §C.5) with schoolgraph in place of TASS: it names the user,
the schools the key is for, and the link; never the key, the secret or the passphrase (the
school shares the passphrase some other way).
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from schoolgraph.config import Settings, SmtpTls

__all__ = [
    "EMAIL_SUBJECT",
    "DirectoryOutbox",
    "Email",
    "MemoryOutbox",
    "Outbox",
    "SmtpOutbox",
    "outbox_for",
    "registration_email",
]

EMAIL_SUBJECT = "schoolgraph API User Registration"
_BODY = (
    "Hi {user_name}\n"
    "Below is a link to view your key and secret for the schoolgraph API for:\n"
    "{schools}\n"
    "Please note that for security reasons, you will only be able to view your key and secret "
    "once. Please store the Key and Secret securely and contact the school if you require new "
    "credentials.\n"
    "Link: {link}\n"
)


@dataclass(frozen=True, slots=True)
class Email:
    """One message to send."""

    sender: str
    to: str
    subject: str
    body: str
    sent_at: datetime

    def as_text(self) -> str:
        """The message as the seed shows it: From, To, Subject, then the message."""
        return f"From: {self.sender}\nTo: {self.to}\nSubject: {self.subject}\nMessage:\n{self.body}"

    def as_message(self) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = self.sent_at.strftime("%a, %d %b %Y %H:%M:%S %z")
        message.set_content(self.body)
        return message


def registration_email(
    *, sender: str, to: str, user_name: str, schools: str, link: str, at: datetime
) -> Email:
    """The key-share email of tass.md §C.5, for schoolgraph."""
    body = _BODY.format(user_name=user_name, schools=schools, link=link)
    return Email(sender, to, EMAIL_SUBJECT, body, at)


class Outbox(Protocol):
    """Where emails go."""

    @property
    def local(self) -> bool:
        """Whether messages stay on this machine (so the CLI prints them)."""
        ...

    async def send(self, email: Email) -> None: ...


class MemoryOutbox:
    """Keeps the messages in a list: a gateway without a data folder, and tests."""

    local = True

    def __init__(self) -> None:
        self.sent: list[Email] = []

    async def send(self, email: Email) -> None:
        self.sent.append(email)


class DirectoryOutbox:
    """Writes each message as an ``.eml`` file (owner-only) into a folder."""

    local = True

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"DirectoryOutbox({str(self.folder)!r})"

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._write, email)

    def _write(self, email: Email) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = email.sent_at.strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{email.to.replace('/', '_').replace(os.sep, '_')}.eml"
        handle = os.open(self.folder / name, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(bytes(email.as_message()))


class SmtpOutbox:
    """Sends through an SMTP server, with STARTTLS or implicit TLS unless told ``none``."""

    local = False

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: SmtpTls = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self._password = password
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpOutbox({self.host!r}, {self.port}, tls={self.tls!r})"

    async def send(self, email: Email) -> None:
        await asyncio.to_thread(self._send, email)

    def _send(self, email: Email) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.username is not None and self._password is not None:
                smtp.login(self.username, self._password)
            smtp.send_message(email.as_message())


def outbox_for(settings: Settings) -> Outbox:
    """SMTP when ``SCHOOLGRAPH_SMTP_HOST`` is set; else ``<data dir>/outbox``; else memory."""
    if settings.smtp_host is not None:
        return SmtpOutbox(
            settings.smtp_host,
            settings.smtp_port,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.reveal() if settings.smtp_password else None,
        )
    if settings.data_dir is not None:
        return DirectoryOutbox(settings.data_dir / "outbox")
    return MemoryOutbox()
