"""The last hop of a notification: build a content-free email and send it (SMTP or .eml files).

No database access: the outbox worker decides what to send and when, and retries with
`backoff_seconds` up to `MAX_ATTEMPTS`. A notification never carries an alias, a name, a case
or item id, or any word of a letter: only that something is waiting and where to log in.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path

import aiosmtplib

from relay.clock import system_clock
from relay.config import ConfigError

MAX_ATTEMPTS = 8
TLS_MODES = ("none", "starttls", "tls")
_DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
# Ids become a Message-ID local part and a file name: no '@', '<', '/', whitespace or leading dot.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_LOGIN_PATHS = {"participant": "/me/login", "practitioner": "/staff/login"}


class MailError(Exception):
    """Sending failed; the message names the server and the failure, never credentials or body.

    `permanent` is True when the server refused with a 5xx code: retrying will not help.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class MailSettings:
    host: str | None = None
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "relay@localhost"
    tls: str = "starttls"
    maildir: Path = Path("outbox")
    public_url: str = "http://127.0.0.1:8080"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ConfigError(f"SMTP tls {self.tls!r} is not one of: {', '.join(TLS_MODES)}")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ConfigError(f"SMTP port {self.port!r} must be a whole number 1..65535")
        if not 0 < self.port < 65536:
            raise ConfigError(f"SMTP port {self.port} is out of range 1..65535")
        if (self.user is None) != (self.password is None):
            raise ConfigError(
                "set both the SMTP user and password (RELAY_SMTP_USER, RELAY_SMTP_PASSWORD), "
                "or neither"
            )
        if not self.timeout > 0:
            raise ConfigError(f"SMTP timeout {self.timeout!r} must be a positive number of seconds")
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", self.public_url):
            raise ConfigError(f"public URL {self.public_url!r} must start with http:// or https://")
        if "\r" in self.sender or "\n" in self.sender or "@" not in parseaddr(self.sender)[1]:
            raise ConfigError(f"sender {self.sender!r} is not an email address")
        object.__setattr__(self, "maildir", Path(self.maildir))
        object.__setattr__(self, "public_url", self.public_url.rstrip("/"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> MailSettings:
        """Read RELAY_SMTP_*, RELAY_MAILDIR and RELAY_PUBLIC_URL; empty counts as unset."""
        env = {k: v.strip() for k, v in environ.items() if v.strip()}
        tls = env.get("RELAY_SMTP_TLS", "starttls").strip().lower()
        if tls not in TLS_MODES:
            raise ConfigError(f"RELAY_SMTP_TLS {tls!r} is not one of: {', '.join(TLS_MODES)}")
        raw_port = env.get("RELAY_SMTP_PORT")
        if raw_port is None:
            port = _DEFAULT_PORTS[tls]
        elif raw_port.isascii() and raw_port.isdigit() and 0 < int(raw_port) < 65536:
            port = int(raw_port)
        else:
            raise ConfigError(f"RELAY_SMTP_PORT {raw_port!r} must be a whole number 1..65535")
        return cls(
            host=env.get("RELAY_SMTP_HOST"),
            port=port,
            user=env.get("RELAY_SMTP_USER"),
            # Not stripped: spaces may be part of a password.
            password=environ["RELAY_SMTP_PASSWORD"] if "RELAY_SMTP_PASSWORD" in env else None,
            sender=env.get("RELAY_SMTP_FROM", "relay@localhost"),
            tls=tls,
            maildir=Path(env.get("RELAY_MAILDIR", "outbox")),
            public_url=env.get("RELAY_PUBLIC_URL", "http://127.0.0.1:8080"),
        )

    @property
    def domain(self) -> str:
        """The sender's domain, used for Message-IDs and EHLO (never the machine's hostname)."""
        domain = parseaddr(self.sender)[1].rpartition("@")[2]
        return domain if _DOMAIN.fullmatch(domain) else "relay.invalid"


def message_id_for(notification_id: str, settings: MailSettings) -> str:
    """The same id always gives the same Message-ID, so a resend after a crash can be deduped."""
    if not _SAFE_ID.fullmatch(notification_id):
        raise ValueError(
            f"notification id {notification_id!r} must be 1-128 of A-Z a-z 0-9 . _ - "
            "and start with a letter or digit"
        )
    return f"<{notification_id}@{settings.domain}>"


def build_notification(
    notification_id: str,
    to_address: str,
    settings: MailSettings,
    *,
    audience: str = "participant",
    now: datetime | None = None,
) -> EmailMessage:
    """A content-free notice: it depends only on the id, the address, the settings and the time."""
    message_id = message_id_for(notification_id, settings)
    if audience not in _LOGIN_PATHS:
        raise ValueError(f"audience {audience!r} is not one of: {', '.join(_LOGIN_PATHS)}")
    addresses = getaddresses([to_address])
    if (
        "\r" in to_address
        or "\n" in to_address
        or len(addresses) != 1
        or "@" not in addresses[0][1]
    ):
        raise ValueError("recipient is not a single email address")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to_address
    message["Subject"] = "You have a new message waiting"
    message["Date"] = format_datetime(now or system_clock())
    message["Message-ID"] = message_id
    # RFC 3834: tells auto-responders (vacation replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    lines = ["Hello,", "", "You have a new message waiting for you.", ""]
    lines += ["To read it, log in at:", settings.public_url + _LOGIN_PATHS[audience], ""]
    if audience == "participant":
        lines += ["If you have questions, please contact your practitioner.", ""]
    lines += ["This is an automated message; replies are not read."]
    message.set_content("\n".join(lines) + "\n")
    return message


def backoff_seconds(attempt: int, *, base: float = 30.0, cap: float = 3600.0) -> float:
    """Delay before retry `attempt` (1-based): base, 2*base, 4*base, ... never above cap."""
    if attempt < 1:
        raise ValueError(f"attempt {attempt} must be 1 or more")
    # Bound the exponent so a huge attempt number cannot overflow the float.
    return float(min(cap, base * 2 ** min(attempt - 1, 64)))


def _refused_for_good(exc: BaseException) -> bool:
    """A 5xx on this recipient or this message; auth and connection failures stay retryable."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(e.code >= 500 for e in exc.recipients)
    refusals = (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)
    return isinstance(exc, refusals) and exc.code >= 500


class Mailer:
    """Sends built notifications over SMTP, or into `settings.maildir` when no host is set."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        if self.settings.host is None:
            await asyncio.to_thread(self._write_eml, message)
        else:
            await self._send_smtp(message, self.settings.host)

    async def _send_smtp(self, message: EmailMessage, host: str) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=host,
                port=s.port,
                username=s.user,
                password=s.password if s.user else None,
                use_tls=s.tls == "tls",
                # Explicit False: aiosmtplib would otherwise upgrade opportunistically.
                # True makes STARTTLS mandatory, so we never fall back to plain text.
                start_tls=s.tls == "starttls",
                local_hostname=s.domain,
                timeout=s.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:  # OSError covers timeouts and TLS
            raise MailError(
                f"sending to {host}:{s.port} failed: {self._describe(exc, message)}",
                permanent=_refused_for_good(exc),
            ) from exc

    def _describe(self, exc: BaseException, message: EmailMessage) -> str:
        """The failure, bounded, without the password or the recipient (a contact detail)."""
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            detail = f"{exc.code} {exc.message}"
        elif isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            detail = "; ".join(f"{e.code} {e.message}" for e in exc.recipients)
        else:
            detail = str(exc) or "no details"
        secrets = [
            self.settings.password or "",
            *(a for _, a in getaddresses(message.get_all("To", []))),
        ]
        for secret in filter(None, secrets):
            detail = detail.replace(secret, "[redacted]")
        return f"{type(exc).__name__}: {detail[:200]}"

    def _write_eml(self, message: EmailMessage) -> None:
        local, at, _ = str(message.get("Message-ID", "")).strip("<> ").rpartition("@")
        if not at or not _SAFE_ID.fullmatch(local):
            raise ValueError("message has no Message-ID from build_notification")
        directory = self.settings.maildir
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Files hold recipients' email addresses (contact details): owner-only, whatever umask.
        if directory.stat().st_mode & 0o777 != 0o700:
            directory.chmod(0o700)
        # mkstemp creates the file 0600; os.replace makes the final name appear whole or not at
        # all, and a resend of the same notification overwrites rather than duplicates.
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, directory / f"{local}.eml")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
