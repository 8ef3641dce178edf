"""Delivering the key-share email: SMTP when configured, else a private local outbox."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from schoolgraph.accounts.outbox import (
    DirectoryOutbox,
    MemoryOutbox,
    SmtpOutbox,
    outbox_for,
    registration_email,
)
from schoolgraph.config import Secret, Settings

EMAIL = registration_email(
    sender="noreply@school.example",
    to="ann@acme.example",
    user_name="Acme Timetables",
    schools="Ashford Oaks Academy",
    link="https://api.school.example/keys?link=abc",
    at=datetime(2025, 6, 24, 5, 45, tzinfo=UTC),
)


class SmtpSink:
    """The least of an SMTP server (RFC 5321, no TLS): it keeps what it is sent."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        say("220 sink ESMTP")
        sender, recipients = "", []
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                writer.write(b"250-sink\r\n250 AUTH PLAIN\r\n")
            elif verb == "AUTH":
                self.logins.append(line.encode())
                say("235 ok")
            elif verb == "MAIL":
                sender = line.split(":", 1)[1].strip("<> ")
                say("250 ok")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip("<> "))
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                data = b""
                while (chunk := await reader.readline()) != b".\r\n":
                    data += chunk
                self.messages.append(data)
                self.envelopes.append((sender, recipients))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                break
            else:
                say("250 ok")
            await writer.drain()
        writer.close()


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield sink, port


async def test_smtp_delivers_the_seed_email(smtp: tuple[SmtpSink, int]) -> None:
    sink, port = smtp
    outbox = SmtpOutbox("127.0.0.1", port, tls="none", username="gateway", password="pw")

    await outbox.send(EMAIL)

    [(sender, recipients)] = sink.envelopes
    assert (sender, recipients) == ("noreply@school.example", ["ann@acme.example"])
    message = message_from_bytes(sink.messages[0], policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "schoolgraph API User Registration"
    assert "Link: https://api.school.example/keys?link=abc" in message.get_content()
    assert sink.logins  # it logged in, as configured


async def test_without_smtp_the_email_is_a_private_file(tmp_path: Path) -> None:
    outbox = DirectoryOutbox(tmp_path / "outbox")

    await outbox.send(EMAIL)

    [path] = (tmp_path / "outbox").iterdir()
    assert path.suffix == ".eml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert message_from_bytes(path.read_bytes())["To"] == "ann@acme.example"


def test_the_settings_choose_the_outbox(tmp_path: Path) -> None:
    smtp = outbox_for(
        Settings(
            smtp_host="mail", smtp_username="u", smtp_password=Secret("hunter2"), data_dir=tmp_path
        )
    )
    local = outbox_for(Settings(data_dir=tmp_path))

    assert isinstance(smtp, SmtpOutbox) and not smtp.local
    assert isinstance(local, DirectoryOutbox) and local.folder == tmp_path / "outbox"
    assert isinstance(outbox_for(Settings()), MemoryOutbox)
    assert "hunter2" not in repr(smtp)
