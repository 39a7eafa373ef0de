from __future__ import annotations

import email
import email.policy
import re
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from relay.notify.mailer import (
    MAX_ATTEMPTS,
    Mailer,
    MailError,
    MailSettings,
    backoff_seconds,
    build_notification,
)

NOW = datetime(2024, 5, 6, 10, 30, tzinfo=UTC)
TO = "recipient@example.org"
# Things the mailer is never given, so they must never appear: the other party's alias, a letter
# sentence, case and item ids, names and contact details from the vault.
FORBIDDEN = [
    "Alex",
    "I am sorry for what I did",
    "c-0001",
    "item-42",
    "Sam Jones",
    "07700 900123",
    "harmed",
    "responsible",
    "X-Mailer",
    "User-Agent",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every envelope; refuses recipients listed in `refuse`."""

    envelopes: list[Any] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted"


@dataclass
class Server:
    port: int
    handler: Collector


def start_server(**smtp_kwargs: Any) -> Iterator[Server]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    try:
        yield Server(port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    yield from start_server()


def check_credentials(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"relay", b"s3cret-pass")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def auth_server() -> Iterator[Server]:
    # AUTH is offered but not required (requiring it without TLS makes aiosmtpd warn); the
    # handler records whether each message came from an authenticated session.
    yield from start_server(authenticator=check_credentials, auth_require_tls=False)


def smtp_settings(port: int, **overrides: Any) -> MailSettings:
    values: dict[str, Any] = {"host": "127.0.0.1", "port": port, "tls": "none", "timeout": 2.0}
    return MailSettings(**(values | overrides))


def message_id_in(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"])


async def test_notification_arrives_once_at_the_given_address(smtp_server: Server) -> None:
    settings = smtp_settings(smtp_server.port)
    await Mailer(settings).send(build_notification("n-123", TO, settings))

    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == [TO]
    assert envelope.mail_from == "relay@localhost"
    assert message_id_in(envelope.original_content) == "<n-123@localhost>"
    for word in FORBIDDEN:
        assert word.encode() not in envelope.original_content, word


async def test_resending_the_same_notification_keeps_its_message_id(smtp_server: Server) -> None:
    settings = smtp_settings(smtp_server.port)
    mailer = Mailer(settings)
    await mailer.send(build_notification("n-7", TO, settings))
    await mailer.send(build_notification("n-7", TO, settings))

    ids = [message_id_in(e.original_content) for e in smtp_server.handler.envelopes]
    assert ids == ["<n-7@localhost>", "<n-7@localhost>"]


@pytest.mark.parametrize("audience", ["participant", "practitioner"])
def test_notification_depends_only_on_id_address_and_settings(audience: str) -> None:
    settings = MailSettings(sender="Relay <hub@relay.example>", public_url="https://r.example/")
    first = build_notification("n-1", "a@example.org", settings, audience=audience, now=NOW)
    second = build_notification("n-2", "b@example.org", settings, audience=audience, now=NOW)

    swapped = second.as_bytes().replace(b"n-2", b"n-1").replace(b"b@example.org", b"a@example.org")
    assert swapped == first.as_bytes()
    raw = first.as_string()
    for word in FORBIDDEN:
        assert word not in raw, word
    assert first["Subject"] == "You have a new message waiting"
    assert first["Message-ID"] == "<n-1@relay.example>"
    assert first["Auto-Submitted"] == "auto-generated"
    assert set(first.keys()) == {
        "From", "To", "Subject", "Date", "Message-ID", "Auto-Submitted",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    }  # fmt: skip
    assert first.get_content_type() == "text/plain"
    # The only link is the login page: no ids, no tracking.
    login = "/me/login" if audience == "participant" else "/staff/login"
    assert re.findall(r"https?://\S+", first.get_content()) == ["https://r.example" + login]


@pytest.mark.parametrize(
    "bad_id", ["", "a@b", "<n-1>", "../escape", ".hidden", "a b", "n\r\nBcc: x@y.z", "é", "x" * 129]
)
def test_ids_unsafe_in_a_message_id_are_rejected(bad_id: str) -> None:
    with pytest.raises(ValueError, match="notification id"):
        build_notification(bad_id, TO, MailSettings())


@pytest.mark.parametrize("bad_to", ["not-an-address", "a@b.c\r\nBcc: evil@x.y", "", "a@b.c, d@e.f"])
def test_recipient_must_be_one_address(bad_to: str) -> None:
    with pytest.raises(ValueError, match="recipient"):
        build_notification("n-1", bad_to, MailSettings())


async def test_login_with_right_credentials_delivers(auth_server: Server) -> None:
    settings = smtp_settings(auth_server.port, user="relay", password="s3cret-pass")
    await Mailer(settings).send(build_notification("n-1", TO, settings))

    assert [e.rcpt_tos for e in auth_server.handler.envelopes] == [[TO]]
    assert auth_server.handler.authenticated == [True]


async def test_wrong_password_fails_without_revealing_it(auth_server: Server) -> None:
    settings = smtp_settings(auth_server.port, user="relay", password="wrong-Pa55word")
    with pytest.raises(MailError) as caught:
        await Mailer(settings).send(build_notification("n-1", TO, settings))

    assert "wrong-Pa55word" not in str(caught.value)
    assert "535" in str(caught.value)
    assert not caught.value.permanent
    assert auth_server.handler.envelopes == []


async def test_refused_recipient_is_permanent_and_not_named(smtp_server: Server) -> None:
    smtp_server.handler.refuse.add(TO)
    settings = smtp_settings(smtp_server.port)
    with pytest.raises(MailError) as caught:
        await Mailer(settings).send(build_notification("n-1", TO, settings))

    assert caught.value.permanent
    assert "550" in str(caught.value)
    assert TO not in str(caught.value)


async def test_starttls_is_never_downgraded_to_plain_text(smtp_server: Server) -> None:
    # This server offers no STARTTLS: sending must fail rather than go out unencrypted.
    settings = smtp_settings(smtp_server.port, tls="starttls")
    with pytest.raises(MailError, match="STARTTLS"):
        await Mailer(settings).send(build_notification("n-1", TO, settings))
    assert smtp_server.handler.envelopes == []


async def test_nothing_listening_fails_quickly() -> None:
    settings = smtp_settings(free_port(), timeout=1.0)
    started = time.monotonic()
    with pytest.raises(MailError, match=re.escape("127.0.0.1")):
        await Mailer(settings).send(build_notification("n-1", TO, settings))
    assert time.monotonic() - started < 2.0


async def test_without_host_each_notification_is_one_eml_file(tmp_path: Path) -> None:
    maildir = tmp_path / "outbox"
    settings = MailSettings(maildir=maildir)
    mailer = Mailer(settings)
    await mailer.send(build_notification("n-9", TO, settings))
    await mailer.send(build_notification("n-9", TO, settings))

    assert [p.name for p in maildir.iterdir()] == ["n-9.eml"]
    assert stat.S_IMODE(maildir.stat().st_mode) == 0o700
    assert stat.S_IMODE((maildir / "n-9.eml").stat().st_mode) == 0o600
    parsed = email.message_from_bytes(
        (maildir / "n-9.eml").read_bytes(), policy=email.policy.default
    )
    assert parsed["Subject"] == "You have a new message waiting"
    assert parsed["Message-ID"] == "<n-9@localhost>"
    assert parsed["To"] == TO


async def test_maildir_open_to_others_is_tightened(tmp_path: Path) -> None:
    maildir = tmp_path / "outbox"
    maildir.mkdir(mode=0o755)
    maildir.chmod(0o755)
    settings = MailSettings(maildir=maildir)
    await Mailer(settings).send(build_notification("n-1", TO, settings))

    assert stat.S_IMODE(maildir.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tls": "ssl"}, "none, starttls, tls"),
        ({"port": 0}, "1..65535"),
        ({"port": 70000}, "1..65535"),
        ({"user": "relay"}, "RELAY_SMTP_PASSWORD"),
        ({"public_url": "r.example"}, "http"),
        ({"timeout": 0}, "positive"),
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        MailSettings(**kwargs)


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "25.0"])
def test_invalid_port_in_environment_is_refused(port: str) -> None:
    with pytest.raises(ValueError, match="RELAY_SMTP_PORT"):
        MailSettings.from_env({"RELAY_SMTP_PORT": port})


def test_environment_defaults() -> None:
    settings = MailSettings.from_env({})
    assert settings == MailSettings(
        host=None,
        port=587,
        sender="relay@localhost",
        tls="starttls",
        maildir=Path("outbox"),
        public_url="http://127.0.0.1:8080",
    )


@pytest.mark.parametrize(
    ("env", "port"),
    [
        ({"RELAY_SMTP_TLS": "tls"}, 465),
        ({"RELAY_SMTP_TLS": "none"}, 25),
        ({"RELAY_SMTP_TLS": "starttls"}, 587),
        ({"RELAY_SMTP_TLS": "tls", "RELAY_SMTP_PORT": "2525"}, 2525),
    ],
)
def test_default_port_follows_tls_mode_unless_given(env: dict[str, str], port: int) -> None:
    assert MailSettings.from_env(env).port == port


def test_environment_is_read() -> None:
    settings = MailSettings.from_env(
        {
            "RELAY_SMTP_HOST": "smtp.example.org",
            "RELAY_SMTP_USER": "relay",
            "RELAY_SMTP_PASSWORD": "pw with spaces ",
            "RELAY_SMTP_FROM": "hub@example.org",
            "RELAY_MAILDIR": "/var/spool/relay",
            "RELAY_PUBLIC_URL": "https://relay.example.org/",
        }
    )
    assert settings.host == "smtp.example.org"
    assert (settings.user, settings.password) == ("relay", "pw with spaces ")
    assert settings.sender == "hub@example.org"
    assert settings.maildir == Path("/var/spool/relay")
    assert settings.public_url == "https://relay.example.org"


def test_repr_hides_the_password() -> None:
    settings = MailSettings(host="smtp.example.org", user="relay", password="hunter2-secret")
    assert "hunter2-secret" not in repr(settings)
    assert "smtp.example.org" in repr(settings)


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 30.0), (2, 60.0), (3, 120.0), (7, 1920.0), (8, 3600.0)]
)
def test_backoff_doubles_from_base_up_to_cap(attempt: int, seconds: float) -> None:
    assert backoff_seconds(attempt) == seconds


def test_backoff_respects_custom_base_and_cap_and_huge_attempts() -> None:
    assert backoff_seconds(3, base=1.0, cap=10.0) == 4.0
    assert backoff_seconds(10_000, base=1.0, cap=10.0) == 10.0
    assert MAX_ATTEMPTS == 8
    with pytest.raises(ValueError):
        backoff_seconds(0)
