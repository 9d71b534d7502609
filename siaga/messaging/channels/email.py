"""E-mail over SMTP: STARTTLS (port 587), implicit TLS (465) or plain (local test servers).

One message per connection: connect, upgrade or wrap in TLS (certificates verified
with the system's CAs), log in if a user is configured, send a UTF-8 plain-text
message, quit. The Subject and body may hold any Unicode (encoded per RFC 2047 /
8-bit-safe transfer encodings by :mod:`email`).

SMTP reply codes decide retrying: 4xx answers and connection problems are
transient, 5xx answers (unknown mailbox, authentication failed) permanent.
With an idempotency key the Message-ID is derived from it, so a re-sent message
carries the same Message-ID and mail clients show it once.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid, parseaddr
from typing import ClassVar, Literal, Self

from email_validator import EmailNotValidError, validate_email

from .base import (
    Channel,
    ChannelConfigError,
    OutgoingMessage,
    Secret,
    SendResult,
    float_setting,
    require,
    setting,
)
from .text import compose

log = logging.getLogger("siaga.messaging.channels.email")

Security = Literal["starttls", "ssl", "none"]
DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


class EmailChannel(Channel):
    """Plain-text e-mail through one SMTP server."""

    name: ClassVar[str] = "email"
    max_length: ClassVar[int | None] = None

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        mail_from: str,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in DEFAULT_PORTS:
            raise ChannelConfigError("setting SMTP_SECURITY must be starttls, ssl or none")
        if "@" not in parseaddr(mail_from)[1]:
            raise ChannelConfigError("setting MAIL_FROM must be an e-mail address")
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self.security: Security = security
        self.mail_from = mail_from
        self.username = username or None
        self._password = Secret(password or "")
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> Self:
        """Build from ``SMTP_HOST``, ``MAIL_FROM`` and optional ``SMTP_PORT``,
        ``SMTP_SECURITY`` (starttls|ssl|none, default starttls), ``SMTP_USER``,
        ``SMTP_PASSWORD`` and ``SMTP_TIMEOUT`` (seconds, default 30)."""
        security = setting(settings, "SMTP_SECURITY", "starttls").lower()
        if security not in DEFAULT_PORTS:
            raise ChannelConfigError("setting SMTP_SECURITY must be starttls, ssl or none")
        raw_port = setting(settings, "SMTP_PORT")
        if raw_port and not (raw_port.isdigit() and 0 < int(raw_port) < 65536):
            raise ChannelConfigError("setting SMTP_PORT must be a port number")
        user = setting(settings, "SMTP_USER")
        password = setting(settings, "SMTP_PASSWORD")
        if password and not user:
            raise ChannelConfigError("setting SMTP_PASSWORD is set but SMTP_USER is not")
        return cls(
            require(settings, "SMTP_HOST"),
            int(raw_port) if raw_port else None,
            mail_from=require(settings, "MAIL_FROM"),
            security="ssl" if security == "ssl" else "none" if security == "none" else "starttls",
            username=user or None,
            password=password or None,
            timeout=float_setting(settings, "SMTP_TIMEOUT", 30.0) or 30.0,
        )

    def secrets(self) -> tuple[Secret, ...]:
        return (self._password,)

    def normalize_address(self, address: str) -> str:
        """The address as ``email_validator`` normalises it (syntax only, no DNS)."""
        try:
            return str(validate_email(address.strip(), check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ValueError(f"{address!r} is not an e-mail address: {exc}") from None

    def build_message(self, address: str, message: OutgoingMessage) -> EmailMessage:
        """The MIME message ``send`` would transmit (useful for previews and tests)."""
        mail = EmailMessage(policy=SMTP_POLICY)
        subject = message.subject.strip()
        if not subject and message.text.strip():  # fall back to the start of the first line
            subject = message.text.strip().splitlines()[0][:78]
        mail["Subject"] = " ".join(subject.split())  # no header injection via newlines
        mail["From"] = self.mail_from
        mail["To"] = address
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2] or None
        if message.idempotency_key:
            digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
            mail["Message-ID"] = f"<{digest}@{domain or 'siaga.invalid'}>"
            mail["X-Siaga-Idempotency-Key"] = " ".join(message.idempotency_key.split())
        else:
            mail["Message-ID"] = make_msgid(domain=domain)
        mail.set_content(compose(message.text, message.link) + "\n", charset="utf-8")
        return mail

    def send(self, address: str, message: OutgoingMessage) -> SendResult:
        """Deliver one e-mail to ``address``."""
        try:
            to = self.normalize_address(address)
        except ValueError as exc:
            return SendResult.permanent(f"email: {exc}")
        mail = self.build_message(to, message)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self._password.reveal())
                refused = smtp.send_message(mail, from_addr=parseaddr(self.mail_from)[1], to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b"refused"))
            return self._reply_failure("recipient refused", code, text)
        except smtplib.SMTPResponseException as exc:  # auth, sender, data refusals
            return self._reply_failure(type(exc).__name__, exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:
            return self._failure(f"server does not support a required feature: {exc}", permanent=True)
        except ssl.SSLCertVerificationError as exc:
            return self._failure(f"TLS certificate not trusted: {exc}", permanent=True)
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused, timeouts, TLS
            return self._failure(f"{type(exc).__name__}: {exc}", permanent=False)
        if refused:  # some (here: the only) recipient refused without an exception
            code, text = next(iter(refused.values()))
            return self._reply_failure("recipient refused", code, text)
        return SendResult.success(str(mail["Message-ID"]), status_code=250)

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _reply_failure(self, what: str, code: int, text: bytes | str) -> SendResult:
        reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        error = self.redact(f"email: {what}: {code} {reply}")
        if 400 <= code < 500:
            log.warning("%s", error)
            return SendResult.transient(error, status_code=code)
        log.warning("%s (permanent)", error)
        return SendResult.permanent(error, status_code=code)

    def _failure(self, detail: str, *, permanent: bool) -> SendResult:
        error = self.redact(f"email: {detail}")
        log.warning("%s%s", error, " (permanent)" if permanent else "")
        if permanent:
            return SendResult.permanent(error)
        return SendResult.transient(error)

    def __repr__(self) -> str:
        return f"<EmailChannel {self.security}://{self.host}:{self.port} user={self.username or '-'}>"
