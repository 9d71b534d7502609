"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives, for tests.

    with FakeSmtp() as smtp:                               # plain SMTP
    with FakeSmtp(users={"siaga": "pw"}) as smtp:          # AUTH PLAIN/LOGIN without TLS
    with FakeSmtp(tls="starttls", cert=cert) as smtp:      # STARTTLS required
    with FakeSmtp(tls="ssl", cert=cert) as smtp:           # implicit TLS
        smtp.host, smtp.port, smtp.messages                # RecordedMail(...)
        smtp.reject["bad@example.org"] = "550 5.1.1 No such user"

``cert`` comes from :func:`self_signed_cert` (uses the ``openssl`` command); build
the client's context with :func:`client_context` to trust it.

The controller binds port 0 and reads back the real port, so parallel test runs never
collide; leaving the ``with`` block stops the event loop and joins its thread, so no
socket or loop is left for a ResourceWarning.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
import subprocess
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class RecordedMail:
    """One accepted message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    login: str | None


@dataclass(frozen=True)
class CertFiles:
    """A self-signed certificate for ``127.0.0.1``/``localhost`` and its key."""

    certfile: Path
    keyfile: Path


def self_signed_cert(directory: Path) -> CertFiles:
    """Make a throw-away certificate in ``directory`` with the ``openssl`` command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return CertFiles(cert, key)


def client_context(cert: CertFiles) -> ssl.SSLContext:
    """A client context that trusts only ``cert``."""
    return ssl.create_default_context(cafile=str(cert.certfile))


class _Handler:
    def __init__(self, owner: FakeSmtp) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.owner.reject.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.owner.messages.append(
            RecordedMail(envelope.mail_from, list(envelope.rcpt_tos), data, parsed, login)
        )
        return "250 Message accepted for delivery"


class _EphemeralController(Controller):
    """A Controller that may bind port 0: the real port is read back before the
    readiness probe connects to it."""

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = int(sockets[0].getsockname()[1])
        super()._trigger_server()


@dataclass
class FakeSmtp:
    """The recording SMTP server."""

    users: dict[str, str] = field(default_factory=dict)
    tls: Literal["starttls", "ssl"] | None = None
    cert: CertFiles | None = None
    messages: list[RecordedMail] = field(default_factory=list)
    #: address (lower case) -> SMTP reply for RCPT, e.g. "550 5.1.1 No such user".
    reject: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    _controller: _EphemeralController | None = None

    @property
    def base_url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if (
            isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        ):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> Self:
        kwargs: dict[str, Any] = {}
        if self.tls is not None:
            if self.cert is None:
                raise ValueError("tls needs cert=self_signed_cert(...)")
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(str(self.cert.certfile), str(self.cert.keyfile))
            if self.tls == "ssl":
                kwargs["ssl_context"] = server_ctx
            else:
                kwargs["tls_context"] = server_ctx
                kwargs["require_starttls"] = True
        if self.users:
            kwargs["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as TLS for AUTH (not implicit TLS), and warns
            # (pytest: errors) when AUTH is required but TLS is not; so AUTH is required
            # only with STARTTLS and merely offered otherwise (tests check who logged in).
            starttls = self.tls == "starttls"
            kwargs["auth_require_tls"] = starttls
            kwargs["auth_required"] = starttls
        self._controller = _EphemeralController(_Handler(self), hostname=self.host, port=0, **kwargs)
        self._controller.start()
        self.port = self._controller.port
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
