"""Each messaging channel against a local server speaking its real protocol.

Covers, per channel: success, rate limiting (Telegram 429 ``retry_after``, gateway
``Retry-After``), permanent and transient failures, and that no token, key or
password ever appears in an error text or repr. Also the registry, retry timing,
and the shared HTTP session (``siaga.core.http``) the channels are built on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from siaga.core import http as siaga_http
from siaga.messaging.channels import (
    Channel,
    ChannelConfigError,
    ChannelError,
    EmailChannel,
    OutgoingMessage,
    SendResult,
    SmsChannel,
    TelegramChannel,
    WebhookChannel,
    WhatsAppChannel,
    build_channel,
    channel_names,
    configured_channels,
    retry_delay,
    verify_signature,
)
from siaga.messaging.channels.base import Secret, Throttle, parse_retry_after, redact
from siaga.messaging.channels.text import TELEGRAM_MAX, gsm7_len, utf16_len
from siaga.messaging.channels.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    internal_address_reason,
    sign,
)
from tests.fakes.sms_server import FakeSms
from tests.fakes.smtp_server import FakeSmtp, client_context, self_signed_cert
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fakes.whatsapp_server import FakeWhatsApp

LINK = "https://siaga.example.go.id/peringatan/42"
ALERT = OutgoingMessage(
    subject="Peringatan dini banjir",
    text="Siaga 1: debit Sungai Citarum naik. Warga bantaran segera mengungsi ke Balai Desa.",
    link=LINK,
    idempotency_key="alert-42:recipient-7",
    metadata={"alert_id": "42", "level": "siaga-1"},
)


def closed_port() -> int:
    """A local port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_no_secrets(result: SendResult, *secrets: str) -> None:
    text = f"{result.error} {result!r}"
    for secret in secrets:
        assert secret not in text


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def telegram_channel(telegram: FakeTelegram) -> Iterator[Channel]:
    settings = {
        "TELEGRAM_API_URL": telegram.base_url,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_RATE_PER_CHAT": "0",  # no pacing in tests; Throttle is tested on its own
    }
    with build_channel("telegram", settings) as channel:
        yield channel


@pytest.fixture
def whatsapp() -> Iterator[FakeWhatsApp]:
    with FakeWhatsApp() as fake:
        yield fake


@pytest.fixture
def whatsapp_channel(whatsapp: FakeWhatsApp) -> Iterator[Channel]:
    settings = {"WHATSAPP_URL": whatsapp.base_url, "WHATSAPP_TOKEN": whatsapp.token}
    with build_channel("whatsapp", settings) as channel:
        yield channel


@pytest.fixture
def sms() -> Iterator[FakeSms]:
    with FakeSms() as fake:
        yield fake


@pytest.fixture
def sms_channel(sms: FakeSms) -> Iterator[Channel]:
    settings = {"SMS_URL": sms.url, "SMS_USERKEY": sms.userkey, "SMS_PASSKEY": sms.passkey}
    with build_channel("sms", settings) as channel:
        yield channel


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as fake:
        yield fake


@pytest.fixture
def webhook_channel(receiver: WebhookReceiver) -> Iterator[Channel]:
    # The local receiver listens on 127.0.0.1: allowed here, refused by default (below).
    settings = {"WEBHOOK_SECRET": receiver.secret, "WEBHOOK_ALLOW_PRIVATE": "1"}
    with build_channel("webhook", settings) as channel:
        yield channel


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp() as fake:
        yield fake


# --------------------------------------------------------------------------- telegram
def test_telegram_sends_and_returns_the_message_id(telegram: FakeTelegram, telegram_channel: Channel) -> None:
    result = telegram_channel.send("-1001234567890", ALERT)
    assert result == SendResult.success("1", status_code=200)
    [received] = telegram.messages
    assert received["chat_id"] == "-1001234567890"
    assert received["text"] == f"{ALERT.text}\n{LINK}"
    assert received["content_type"].startswith("application/json")


def test_telegram_accepts_channel_usernames(telegram: FakeTelegram, telegram_channel: Channel) -> None:
    assert telegram_channel.send("@bpbd_kab_bandung", ALERT).ok
    assert telegram.messages[0]["chat_id"] == "@bpbd_kab_bandung"


def test_telegram_fake_also_speaks_form_bodies(telegram: FakeTelegram) -> None:
    url = f"{telegram.base_url}/bot{telegram.token}/sendMessage"
    answer = requests.post(url, data={"chat_id": "77", "text": "halo"}, timeout=5).json()
    assert answer["ok"] is True
    assert answer["result"]["message_id"] == 1
    assert telegram.messages[0]["text"] == "halo"


def test_telegram_429_gives_retry_after(telegram: FakeTelegram, telegram_channel: Channel) -> None:
    telegram.rate_limit_next(1, retry_after=7)
    result = telegram_channel.send("12345", ALERT)
    assert not result.ok
    assert result.retryable
    assert result.retry_after == 7
    assert result.status_code == 429
    assert "Too Many Requests" in (result.error or "")
    assert telegram_channel.send("12345", ALERT).ok  # the limit has passed
    assert len(telegram.messages) == 1


def test_telegram_chat_not_found_is_permanent(telegram: FakeTelegram, telegram_channel: Channel) -> None:
    telegram.chat_not_found("-100999")
    result = telegram_channel.send("-100999", ALERT)
    assert result.permanent_failure
    assert not result.retryable
    assert "chat not found" in (result.error or "")
    assert_no_secrets(result, telegram.token)


def test_telegram_5xx_is_transient(telegram: FakeTelegram, telegram_channel: Channel) -> None:
    telegram.server_error_next(1, status=502)
    result = telegram_channel.send("12345", ALERT)
    assert result.retryable
    assert result.status_code == 502
    assert_no_secrets(result, telegram.token)


def test_telegram_wrong_token_is_permanent_and_not_echoed(telegram: FakeTelegram) -> None:
    wrong = "999999:WRONG-secret-token"
    with TelegramChannel(wrong, api_url=telegram.base_url, per_chat_rate=0) as channel:
        result = channel.send("12345", ALERT)
        assert result.permanent_failure
        assert result.status_code == 401
        assert_no_secrets(result, wrong, "WRONG-secret-token")
        assert wrong not in repr(channel)


def test_telegram_network_error_redacts_the_token_in_the_url() -> None:
    token = "424242:NET-secret-token"
    url = f"http://127.0.0.1:{closed_port()}"
    with TelegramChannel(token, api_url=url, per_chat_rate=0, timeout=(1.0, 1.0)) as channel:
        result = channel.send("12345", ALERT)
    assert result.retryable
    assert "connection failed" in (result.error or "")
    assert "/bot***/sendMessage" in (result.error or "")  # requests names the URL; token hidden
    assert_no_secrets(result, token, "NET-secret-token")


def test_telegram_long_text_is_cut_to_4096_keeping_the_link(
    telegram: FakeTelegram, telegram_channel: Channel
) -> None:
    long = OutgoingMessage(text="Informasi pengungsian lengkap. " * 300, link=LINK)
    assert telegram_channel.send("12345", long).ok
    sent = telegram.messages[0]["text"]
    assert utf16_len(sent) <= TELEGRAM_MAX
    assert sent.endswith(f"\n{LINK}")


def test_telegram_invalid_chat_id_fails_without_a_call(
    telegram: FakeTelegram, telegram_channel: Channel
) -> None:
    result = telegram_channel.send("not a chat", ALERT)
    assert result.permanent_failure
    assert telegram.requests == 0
    with pytest.raises(ValueError, match="chat id"):
        telegram_channel.normalize_address("not a chat")


# --------------------------------------------------------------------------- whatsapp
def test_whatsapp_sends_normalised_number_with_country_code(
    whatsapp: FakeWhatsApp, whatsapp_channel: Channel
) -> None:
    result = whatsapp_channel.send("0812-3456-789", ALERT)
    assert result.ok
    assert result.provider_id == "90000001"
    assert whatsapp.messages == [
        {"target": "628123456789", "message": f"{ALERT.text}\n{LINK}", "countryCode": "62"}
    ]


def test_whatsapp_wrong_token_is_permanent_and_not_echoed(whatsapp: FakeWhatsApp) -> None:
    wrong = "fonnte-WRONG-token-xyz"
    with WhatsAppChannel(whatsapp.base_url, wrong) as channel:
        result = channel.send("081234567890", ALERT)
        assert result.permanent_failure
        assert "invalid token" in (result.error or "")
        assert_no_secrets(result, wrong)
        assert wrong not in repr(channel)
    assert whatsapp.messages == []


def test_whatsapp_disconnected_device_is_transient(whatsapp: FakeWhatsApp, whatsapp_channel: Channel) -> None:
    whatsapp.fail_next(1, reason="disconnected device")
    result = whatsapp_channel.send("081234567890", ALERT)
    assert result.retryable
    assert "disconnected device" in (result.error or "")
    assert whatsapp_channel.send("081234567890", ALERT).ok


def test_whatsapp_invalid_target_is_permanent(whatsapp: FakeWhatsApp, whatsapp_channel: Channel) -> None:
    whatsapp.invalid_targets.add("628111111111")
    result = whatsapp_channel.send("0811-1111-111", ALERT)
    assert result.permanent_failure
    assert "invalid target" in (result.error or "")


def test_whatsapp_rate_limit_honours_retry_after(whatsapp: FakeWhatsApp, whatsapp_channel: Channel) -> None:
    whatsapp.rate_limit_next(1, retry_after=30)
    result = whatsapp_channel.send("081234567890", ALERT)
    assert result.retryable
    assert result.retry_after == 30
    assert result.status_code == 429
    assert_no_secrets(result, whatsapp.token)


def test_whatsapp_server_error_is_transient(whatsapp: FakeWhatsApp, whatsapp_channel: Channel) -> None:
    whatsapp.server_error_next(1, status=500)
    result = whatsapp_channel.send("081234567890", ALERT)
    assert result.retryable
    assert result.status_code == 500


def test_whatsapp_bad_number_fails_without_a_call(whatsapp: FakeWhatsApp, whatsapp_channel: Channel) -> None:
    result = whatsapp_channel.send("021-555-1234", ALERT)
    assert result.permanent_failure
    assert "landline" in (result.error or "")
    assert whatsapp.requests == 0


# --------------------------------------------------------------------------- sms
def test_sms_sends_one_part(sms: FakeSms, sms_channel: Channel) -> None:
    short = OutgoingMessage(text="Siaga 1 banjir Citarum.", link=LINK)
    result = sms_channel.send("+62 812 3456 789", short)
    assert result.ok
    assert result.provider_id == "5001"
    assert sms.messages == [{"nohp": "628123456789", "pesan": f"Siaga 1 banjir Citarum.\n{LINK}"}]


def test_sms_long_text_is_split_with_the_link_in_the_last_part(sms: FakeSms, sms_channel: Channel) -> None:
    long = OutgoingMessage(
        text="Warga bantaran sungai diminta segera mengungsi ke Balai Desa. " * 5, link=LINK
    )
    result = sms_channel.send("081234567890", long)
    assert result.ok
    parts = [m["pesan"] for m in sms.messages]
    assert len(parts) == 3
    assert all(gsm7_len(p) <= 153 for p in parts)
    assert parts[-1].endswith(LINK)
    assert result.provider_id == "5001,5002,5003"


def test_sms_split_is_capped_at_max_parts(sms: FakeSms) -> None:
    settings = {"SMS_URL": sms.url, "SMS_USERKEY": sms.userkey, "SMS_PASSKEY": sms.passkey}
    with build_channel("sms", {**settings, "SMS_MAX_PARTS": "2"}) as channel:
        assert channel.send("081234567890", OutgoingMessage(text="Evakuasi sekarang. " * 40, link=LINK)).ok
    assert len(sms.messages) == 2
    assert sms.messages[-1]["pesan"].endswith(f"...\n{LINK}")


def test_sms_shorten_mode_sends_one_sms_keeping_the_link(sms: FakeSms) -> None:
    settings = {"SMS_URL": sms.url, "SMS_USERKEY": sms.userkey, "SMS_PASSKEY": sms.passkey}
    with build_channel("sms", {**settings, "SMS_MODE": "shorten"}) as channel:
        assert channel.send("081234567890", OutgoingMessage(text="Evakuasi sekarang. " * 40, link=LINK)).ok
    [only] = sms.messages
    assert gsm7_len(only["pesan"]) <= 160
    assert only["pesan"].endswith(LINK)


def test_sms_wrong_keys_are_permanent_and_not_echoed(sms: FakeSms) -> None:
    with SmsChannel(sms.url, "zz-user-WRONG", "zz-pass-WRONG-secret") as channel:
        result = channel.send("081234567890", ALERT)
        assert result.permanent_failure
        assert "Passkey salah" in (result.error or "")
        assert_no_secrets(result, "zz-user-WRONG", "zz-pass-WRONG-secret")
        assert "zz-pass-WRONG-secret" not in repr(channel)


def test_sms_low_balance_is_transient(sms: FakeSms, sms_channel: Channel) -> None:
    sms.fail_next(1, text="Saldo tidak cukup")
    result = sms_channel.send("081234567890", ALERT)
    assert result.retryable
    assert "Saldo" in (result.error or "")


def test_sms_rate_limit_and_server_errors_are_transient(sms: FakeSms, sms_channel: Channel) -> None:
    sms.rate_limit_next(1, retry_after=20)
    limited = sms_channel.send("081234567890", ALERT)
    assert limited.retryable
    assert limited.retry_after == 20
    sms.server_error_next(1, status=503)
    down = sms_channel.send("081234567890", ALERT)
    assert down.retryable
    assert down.status_code == 503
    assert_no_secrets(down, sms.userkey, sms.passkey)


def test_sms_failure_in_a_later_part_names_what_was_delivered(sms: FakeSms, sms_channel: Channel) -> None:
    long = OutgoingMessage(
        text="Warga bantaran sungai diminta segera mengungsi ke Balai Desa. " * 5, link=LINK
    )
    original = sms.handle
    calls = 0

    def fail_second(raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        nonlocal calls
        calls += 1
        if calls == 2:
            return 503, {"status": "0", "text": "Service unavailable"}, {}
        return original(raw)

    sms.handle = fail_second  # type: ignore[method-assign]
    result = sms_channel.send("081234567890", long)
    assert result.retryable
    assert "part 2 of 3 failed after 1 delivered (5001)" in (result.error or "")


def test_sms_network_error_redacts_keys() -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/sendsms/"
    with SmsChannel(url, "user-NET-key", "pass-NET-secret", timeout=(1.0, 1.0)) as channel:
        result = channel.send("081234567890", ALERT)
    assert result.retryable
    assert_no_secrets(result, "user-NET-key", "pass-NET-secret")


# --------------------------------------------------------------------------- email
def test_email_utf8_subject_and_body(smtp: FakeSmtp) -> None:
    message = OutgoingMessage(
        subject="Peringatan ⚠️ Banjir — Sungai Citarum",
        text="Warga Dayeuhkolot diminta mengungsi ke GOR Baleendah 🙏\nBawa dokumen penting.",
        link=LINK,
        idempotency_key="alert-42:recipient-7",
    )
    channel = EmailChannel(
        smtp.host, smtp.port, security="none", mail_from="Siaga Polres <siaga@polres.example>"
    )
    result = channel.send("Kapolsek@Example.org", message)
    assert result.ok, result.error
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["Kapolsek@example.org"]
    assert mail.mail_from == "siaga@polres.example"
    assert mail.message["Subject"] == "Peringatan ⚠️ Banjir — Sungai Citarum"
    body = mail.message.get_content()
    assert "GOR Baleendah 🙏" in body
    assert body.rstrip().endswith(LINK)
    assert mail.message.get_content_charset() == "utf-8"
    assert mail.message["X-Siaga-Idempotency-Key"] == "alert-42:recipient-7"
    assert result.provider_id == mail.message["Message-ID"]
    # The same idempotency key gives the same Message-ID, so a retried mail shows once.
    assert channel.build_message("a@example.org", message)["Message-ID"] == mail.message["Message-ID"]


def test_email_subject_falls_back_to_the_first_line(smtp: FakeSmtp) -> None:
    channel = EmailChannel(smtp.host, smtp.port, security="none", mail_from="siaga@polres.example")
    assert channel.send("a@example.org", OutgoingMessage(text="Gempa M5,6 Garut\nRincian...")).ok
    assert smtp.messages[0].message["Subject"] == "Gempa M5,6 Garut"


def test_email_login(tmp_path: Path) -> None:
    with FakeSmtp(users={"siaga": "pw-SMTP-secret"}) as server:
        settings = {
            "SMTP_HOST": server.host,
            "SMTP_PORT": str(server.port),
            "SMTP_SECURITY": "none",
            "SMTP_USER": "siaga",
            "SMTP_PASSWORD": "pw-SMTP-secret",
            "MAIL_FROM": "siaga@polres.example",
        }
        with build_channel("email", settings) as channel:
            assert channel.send("a@example.org", ALERT).ok
            assert "pw-SMTP-secret" not in repr(channel)
        assert server.messages[0].login == "siaga"

        wrong = EmailChannel(
            server.host,
            server.port,
            security="none",
            username="siaga",
            password="pw-WRONG-secret",
            mail_from="siaga@polres.example",
        )
        result = wrong.send("a@example.org", ALERT)
        assert result.permanent_failure
        assert result.status_code == 535
        assert_no_secrets(result, "pw-WRONG-secret")
        assert len(server.messages) == 1


def test_email_refused_recipients(smtp: FakeSmtp) -> None:
    smtp.reject["gone@example.org"] = "550 5.1.1 No such user"
    smtp.reject["busy@example.org"] = "451 4.3.0 Try again later"
    channel = EmailChannel(smtp.host, smtp.port, security="none", mail_from="siaga@polres.example")
    gone = channel.send("gone@example.org", ALERT)
    assert gone.permanent_failure
    assert gone.status_code == 550
    busy = channel.send("busy@example.org", ALERT)
    assert busy.retryable
    assert busy.status_code == 451
    assert smtp.messages == []


def test_email_starttls_and_ssl(tmp_path: Path) -> None:
    cert = self_signed_cert(tmp_path)
    for security in ("starttls", "ssl"):
        with FakeSmtp(tls=security, cert=cert, users={"siaga": "pw"}) as server:
            channel = EmailChannel(
                server.host,
                server.port,
                security=security,
                username="siaga",
                password="pw",
                mail_from="siaga@polres.example",
                ssl_context=client_context(cert),
            )
            result = channel.send("a@example.org", ALERT)
            assert result.ok, result.error
            assert server.messages[0].login == "siaga"


def test_email_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    cert = self_signed_cert(tmp_path)
    with FakeSmtp(tls="starttls", cert=cert) as server:
        channel = EmailChannel(
            server.host, server.port, security="starttls", mail_from="siaga@polres.example"
        )
        result = channel.send("a@example.org", ALERT)  # system CAs do not trust the test certificate
        assert result.permanent_failure
        assert "certificate" in (result.error or "")
        assert server.messages == []


def test_email_connection_refused_is_transient() -> None:
    channel = EmailChannel("127.0.0.1", closed_port(), security="none", mail_from="siaga@polres.example")
    result = channel.send("a@example.org", ALERT)
    assert result.retryable


def test_email_bad_address_is_permanent(smtp: FakeSmtp) -> None:
    channel = EmailChannel(smtp.host, smtp.port, security="none", mail_from="siaga@polres.example")
    result = channel.send("not-an-address", ALERT)
    assert result.permanent_failure
    assert smtp.messages == []


def test_email_header_injection_is_neutralised(smtp: FakeSmtp) -> None:
    channel = EmailChannel(smtp.host, smtp.port, security="none", mail_from="siaga@polres.example")
    evil = OutgoingMessage(subject="Halo\r\nBcc: victim@example.org", text="x")
    assert channel.send("a@example.org", evil).ok
    assert smtp.messages[0].rcpt_tos == ["a@example.org"]
    assert smtp.messages[0].message["Bcc"] is None


# --------------------------------------------------------------------------- webhook
def test_webhook_delivery_is_verified_by_the_receiver(
    receiver: WebhookReceiver, webhook_channel: Channel
) -> None:
    result = webhook_channel.send(receiver.url, ALERT)
    assert result.ok
    assert result.provider_id == "rcv-1"
    [delivery] = receiver.messages
    assert delivery.verified, delivery.reason
    assert delivery.path == "/hooks/siaga"
    body = delivery.json()
    assert body["id"] == ALERT.idempotency_key
    assert body["subject"] == ALERT.subject
    assert body["text"] == ALERT.text
    assert body["link"] == LINK
    assert body["metadata"] == {"alert_id": "42", "level": "siaga-1"}
    assert delivery.headers["X-Siaga-Idempotency-Key"] == ALERT.idempotency_key
    # Siaga's own verifier agrees with the receiver's independent check.
    assert verify_signature(
        receiver.secret,
        delivery.headers[TIMESTAMP_HEADER],
        delivery.body,
        delivery.headers[SIGNATURE_HEADER],
        300,
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://0.0.0.0:{port}/hook",
    ],
)
def test_webhook_to_an_internal_address_is_refused_by_default(receiver: WebhookReceiver, url: str) -> None:
    port = receiver.base_url.rsplit(":", 1)[1]
    with build_channel("webhook", {"WEBHOOK_SECRET": receiver.secret}) as channel:
        result = channel.send(url.format(port=port), ALERT)
    error = result.error or ""
    assert not result.ok and result.permanent_failure
    assert error.startswith("webhook: refused") and ("internal address" in error or "this machine" in error)
    assert receiver.messages == []  # nothing reached the local receiver


def test_internal_address_reason_resolves_names() -> None:
    assert internal_address_reason("localhost") is not None
    assert internal_address_reason("127.0.0.1") is not None
    assert internal_address_reason("::ffff:10.1.2.3") is not None  # IPv4-mapped IPv6
    assert internal_address_reason("93.184.216.34") is None  # a public address
    assert internal_address_reason("10.1.2.3", resolve=False) is not None  # literals need no DNS
    assert internal_address_reason("bpbd.example", resolve=False) is None
    for shared_or_tunnelled in ("100.100.100.200", "100.64.0.1", "2002:a00:1::1", "224.0.0.1", "192.0.2.10"):
        assert internal_address_reason(shared_or_tunnelled) is not None, shared_or_tunnelled


def test_webhook_to_a_name_that_does_not_resolve_is_retried_not_posted(receiver: WebhookReceiver) -> None:
    with build_channel("webhook", {"WEBHOOK_SECRET": receiver.secret}) as channel:
        result = channel.send("https://no-such-host.invalid/hook", ALERT)
    assert not result.ok and not result.permanent_failure
    assert "cannot resolve" in (result.error or "")


def test_webhook_tampered_body_is_rejected(receiver: WebhookReceiver, webhook_channel: Channel) -> None:
    assert isinstance(webhook_channel, WebhookChannel)
    body = webhook_channel.payload(ALERT)
    headers = webhook_channel.signed_headers(body)
    tampered = body.replace(b"mengungsi", b"tetap di rumah")
    answer = requests.post(receiver.url, data=tampered, headers=headers, timeout=5)
    assert answer.status_code == 401
    assert receiver.messages[0].reason == "bad signature"
    ts, sig = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert verify_signature(receiver.secret, ts, body, sig)
    assert not verify_signature(receiver.secret, ts, tampered, sig)
    assert not verify_signature("other-secret", ts, body, sig)
    assert not verify_signature(receiver.secret, str(int(ts) + 1), body, sig)  # timestamp is signed too


def test_webhook_stale_timestamp_is_rejected(receiver: WebhookReceiver, webhook_channel: Channel) -> None:
    assert isinstance(webhook_channel, WebhookChannel)
    body = webhook_channel.payload(ALERT)
    old = int(time.time()) - 3600
    headers = webhook_channel.signed_headers(body, timestamp=old)
    answer = requests.post(receiver.url, data=body, headers=headers, timeout=5)
    assert answer.status_code == 401
    assert receiver.messages[0].reason == "stale timestamp"
    sig = headers[SIGNATURE_HEADER]
    assert not verify_signature(receiver.secret, old, body, sig, tolerance_s=300)
    assert verify_signature(receiver.secret, old, body, sig, tolerance_s=300, now=old + 299)
    assert not verify_signature(receiver.secret, old, body, sig, tolerance_s=300, now=old - 301)  # future


@pytest.mark.parametrize(
    ("timestamp", "header"),
    [(None, "sha256=00"), ("abc", "sha256=00"), ("1700000000", None), ("1700000000", "")],
)
def test_verify_signature_rejects_malformed_input(timestamp: str | None, header: str | None) -> None:
    assert not verify_signature("s", timestamp, b"{}", header, now=1700000000)


def test_sign_matches_the_documented_formula() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, '{"a":1}') == f"sha256={expected}"


def test_webhook_wrong_secret_is_permanent_and_not_echoed(receiver: WebhookReceiver) -> None:
    with WebhookChannel("hook-WRONG-secret", allow_private=True) as channel:
        result = channel.send(receiver.url, ALERT)
        assert result.permanent_failure
        assert result.status_code == 401
        assert_no_secrets(result, "hook-WRONG-secret")
        assert "hook-WRONG-secret" not in repr(channel)


def test_webhook_503_with_retry_after_is_transient(
    receiver: WebhookReceiver, webhook_channel: Channel
) -> None:
    receiver.respond_next(1, status=503, headers={"Retry-After": "12"})
    result = webhook_channel.send(receiver.url, ALERT)
    assert result.retryable
    assert result.retry_after == 12


def test_webhook_429_with_http_date_retry_after(receiver: WebhookReceiver, webhook_channel: Channel) -> None:
    receiver.respond_next(1, status=429, headers={"Retry-After": formatdate(time.time() + 60, usegmt=True)})
    result = webhook_channel.send(receiver.url, ALERT)
    assert result.retryable
    assert result.retry_after is not None and 50 < result.retry_after <= 61


def test_webhook_gone_and_redirect_are_permanent(receiver: WebhookReceiver, webhook_channel: Channel) -> None:
    receiver.respond_next(1, status=410)
    assert webhook_channel.send(receiver.url, ALERT).permanent_failure
    receiver.respond_next(1, status=302, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    redirected = webhook_channel.send(receiver.url, ALERT)
    assert redirected.permanent_failure
    assert "redirect" in (redirected.error or "")


def test_webhook_bad_url_fails_without_a_call(receiver: WebhookReceiver, webhook_channel: Channel) -> None:
    assert webhook_channel.send("ftp://example.org/hook", ALERT).permanent_failure
    assert webhook_channel.send("not a url", ALERT).permanent_failure
    assert receiver.messages == []


# --------------------------------------------------------------------------- registry
def test_build_channel_by_name() -> None:
    settings = {
        "WHATSAPP_URL": "https://api.fonnte.example",
        "WHATSAPP_TOKEN": "wa-secret",
        "TELEGRAM_BOT_TOKEN": "123:tg-secret",
        "SMS_URL": "https://gsm.zenziva.example/api/sendsms/",
        "SMS_USERKEY": "uk-secret",
        "SMS_PASSKEY": "pk-secret",
        "SMTP_HOST": "smtp.example.org",
        "SMTP_PASSWORD": "smtp-secret",
        "SMTP_USER": "siaga",
        "MAIL_FROM": "siaga@polres.example",
        "WEBHOOK_SECRET": "wh-secret",
    }
    expected = {
        "whatsapp": WhatsAppChannel,
        "telegram": TelegramChannel,
        "sms": SmsChannel,
        "email": EmailChannel,
        "webhook": WebhookChannel,
    }
    assert set(channel_names()) >= set(expected)
    assert configured_channels(settings) == list(expected)
    for name, cls in expected.items():
        with build_channel(name, settings) as channel:
            assert isinstance(channel, cls)
            assert channel.name == name
            text = repr(channel) + str(vars(channel))
            for secret in ("wa-secret", "tg-secret", "uk-secret", "pk-secret", "smtp-secret", "wh-secret"):
                assert secret not in text
    with build_channel("whatsapp", settings) as wa:
        assert isinstance(wa, WhatsAppChannel)
        assert wa.url == "https://api.fonnte.example/send"
    with build_channel("email", settings) as mail:
        assert isinstance(mail, EmailChannel)
        assert (mail.port, mail.security) == (587, "starttls")
    assert TelegramChannel.max_length == 4096


def test_build_channel_reads_siaga_prefixed_keys() -> None:
    env = {"SIAGA_WEBHOOK_SECRET": "from-env", "SIAGA_TELEGRAM_BOT_TOKEN": "1:abc"}
    with build_channel("webhook", env) as channel:
        assert isinstance(channel, WebhookChannel)
    assert configured_channels(env) == ["telegram", "webhook"]


def test_build_channel_errors_name_the_key_never_the_value() -> None:
    with pytest.raises(ChannelError, match="unknown channel 'pigeon'"):
        build_channel("pigeon", {})
    with pytest.raises(ChannelConfigError, match="WHATSAPP_TOKEN"):
        build_channel("whatsapp", {"WHATSAPP_URL": "https://gw.example"})
    with pytest.raises(ChannelConfigError, match="WHATSAPP_URL must be an http"):
        build_channel("whatsapp", {"WHATSAPP_URL": "gw.example", "WHATSAPP_TOKEN": "t"})
    with pytest.raises(ChannelConfigError, match="SMTP_SECURITY") as info:
        build_channel("email", {"SMTP_HOST": "h", "MAIL_FROM": "a@b.c", "SMTP_SECURITY": "tls-please"})
    assert "tls-please" not in str(info.value)
    with pytest.raises(ChannelConfigError, match="TELEGRAM_BOT_TOKEN") as info:
        build_channel("telegram", {"TELEGRAM_BOT_TOKEN": "not a token secret"})
    assert "not a token secret" not in str(info.value)
    with pytest.raises(ChannelConfigError, match="SMS_MAX_PARTS"):
        build_channel(
            "sms", {"SMS_URL": "https://x", "SMS_USERKEY": "u", "SMS_PASSKEY": "p", "SMS_MAX_PARTS": "0"}
        )
    with pytest.raises(ChannelConfigError, match="HTTP_READ_TIMEOUT"):
        build_channel("webhook", {"WEBHOOK_SECRET": "s", "HTTP_READ_TIMEOUT": "soon"})


def test_secret_and_redact() -> None:
    secret = Secret("abc:DEF/ghi")
    assert str(secret) == "***"
    assert "DEF" not in repr(secret)
    assert f"{secret}" == "***"
    assert secret.reveal() == "abc:DEF/ghi"
    assert redact("url /botabc:DEF/ghi/x and abc%3ADEF%2Fghi", [secret, None, ""]) == "url /bot***/x and ***"


# --------------------------------------------------------------------------- retry timing
def test_retry_delay_grows_exponentially_with_jitter_and_a_cap() -> None:
    upper = lambda a, b: b  # noqa: E731 - deterministic "jitter": always the top of the range
    assert [retry_delay(n, base=5, cap=900, jitter=upper) for n in range(9)] == [
        5, 10, 20, 40, 80, 160, 320, 640, 900,
    ]  # fmt: skip
    samples = {retry_delay(3, base=5) for _ in range(50)}
    assert all(0 <= s <= 40 for s in samples)
    assert len(samples) > 1  # jittered


def test_retry_delay_never_earlier_than_retry_after() -> None:
    lower = lambda a, b: a  # noqa: E731
    assert retry_delay(0, retry_after=30, jitter=lower) == 30
    assert all(30 <= retry_delay(0, retry_after=30) <= 31 for _ in range(20))


def test_parse_retry_after() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0
    in_a_minute = formatdate(time.time() + 60, usegmt=True)
    delay = parse_retry_after(in_a_minute)
    assert delay is not None and 55 < delay <= 60


def test_throttle_paces_per_key_and_globally() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = Throttle(interval=1.0, global_interval=0.1, clock=lambda: now[0], sleep=sleep)
    assert throttle.wait("chat-a") == 0
    assert throttle.wait("chat-b") == pytest.approx(0.1)  # global pacing only
    assert throttle.wait("chat-a") == pytest.approx(0.9)  # a second after chat-a's first
    assert Throttle().wait("x") == 0  # disabled


# --------------------------------------------------------------------------- siaga.core.http
class _Recorder(BaseHTTPRequestHandler):
    """Test server for the HTTP session: scripted answers per path."""

    script: dict[str, list[tuple[int, dict[str, str], bytes]]]
    seen: list[dict[str, str]]
    delay: float = 0.0

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append({"method": self.command, "path": self.path, **dict(self.headers.items())})
        if self.path == "/slow":
            time.sleep(self.delay)
        queue = self.script.get(self.path) or [(200, {}, b"ok")]
        status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[tuple[str, type[_Recorder]]]:
    class Handler(_Recorder):
        script: dict[str, list[tuple[int, dict[str, str], bytes]]] = {}  # noqa: RUF012 - per-test class
        seen: list[dict[str, str]] = []  # noqa: RUF012
        delay = 0.0

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_session_applies_the_default_timeout_even_for_timeout_none(
    scripted: tuple[str, type[_Recorder]],
) -> None:
    base, handler = scripted
    handler.delay = 0.5
    with siaga_http.make_session(timeout=(1.0, 0.1), retries=0) as session:
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            session.get(f"{base}/slow", timeout=None)
        assert time.monotonic() - started < 0.45
        assert session.get(f"{base}/slow", timeout=3).status_code == 200  # explicit timeout wins


def test_session_user_agent(scripted: tuple[str, type[_Recorder]]) -> None:
    base, handler = scripted
    with siaga_http.make_session() as session:
        session.get(f"{base}/ua")
    with siaga_http.make_session(browser_like=True) as session:
        session.get(f"{base}/ua")
    with siaga_http.make_session(user_agent="Custom/1.0", browser_like=True) as session:
        session.get(f"{base}/ua")
    agents = [s["User-Agent"] for s in handler.seen]
    assert agents == [siaga_http.DEFAULT_USER_AGENT, siaga_http.BROWSER_USER_AGENT, "Custom/1.0"]
    assert agents[1].startswith("Mozilla/5.0")


def test_session_retries_get_on_503_but_never_post(scripted: tuple[str, type[_Recorder]]) -> None:
    base, handler = scripted
    handler.script["/flaky"] = [(503, {}, b"busy"), (502, {}, b"bad"), (200, {}, b"fine")]
    with siaga_http.make_session(retries=3, backoff_factor=0) as session:
        response = session.get(f"{base}/flaky")
        assert (response.status_code, response.content) == (200, b"fine")
        assert [s["method"] for s in handler.seen] == ["GET"] * 3
        handler.seen.clear()
        handler.script["/post"] = [(503, {}, b"busy"), (200, {}, b"fine")]
        assert session.post(f"{base}/post", data=b"x").status_code == 503
        assert len(handler.seen) == 1


def test_conditional_get(scripted: tuple[str, type[_Recorder]]) -> None:
    base, handler = scripted
    lm = "Wed, 21 Oct 2015 07:28:00 GMT"
    handler.script["/feed.xml"] = [
        (200, {"ETag": '"v1"', "Last-Modified": lm}, b"<feed/>"),
        (304, {}, b""),
    ]
    with siaga_http.make_session(retries=0) as session:
        status, body, etag, last_modified = siaga_http.conditional_get(session, f"{base}/feed.xml")
        assert (status, body, etag, last_modified) == (200, b"<feed/>", '"v1"', lm)
        again = siaga_http.conditional_get(
            session, f"{base}/feed.xml", etag=etag, last_modified=last_modified
        )
        assert again.not_modified
        assert (again.body, again.etag, again.last_modified) == (None, '"v1"', lm)
        assert handler.seen[1]["If-None-Match"] == '"v1"'
        assert handler.seen[1]["If-Modified-Since"] == lm
        handler.script["/missing"] = [(404, {}, b"no")]
        with pytest.raises(requests.HTTPError):
            siaga_http.conditional_get(session, f"{base}/missing")
        assert siaga_http.conditional_get(session, f"{base}/missing", raise_for_status=False).status == 404


def test_make_session_rejects_bad_timeouts() -> None:
    with pytest.raises(ValueError, match="timeout"):
        siaga_http.make_session(timeout=(0, 5))


def test_channel_json_is_compact_utf8(webhook_channel: Channel) -> None:
    assert isinstance(webhook_channel, WebhookChannel)
    body = webhook_channel.payload(OutgoingMessage(text="Hujan lebat — waspada"))
    assert "Hujan lebat — waspada" in body.decode("utf-8")
    assert json.loads(body)["link"] is None


def test_telegram_pacing_is_shared_by_channels_of_the_same_bot() -> None:
    a = TelegramChannel("555:pace-token", api_url="http://127.0.0.1:9")
    b = TelegramChannel("555:pace-token", api_url="http://127.0.0.1:9")
    other = TelegramChannel("556:other-token", api_url="http://127.0.0.1:9")
    unpaced = TelegramChannel("555:pace-token", api_url="http://127.0.0.1:9", per_chat_rate=0)
    try:
        assert a.throttle is b.throttle
        assert a.throttle is not other.throttle
        assert a.throttle is not unpaced.throttle
        assert a.throttle.interval == 1.0
        assert a.throttle.global_interval == pytest.approx(1 / 30)
    finally:
        for channel in (a, b, other, unpaced):
            channel.close()


def test_gateway_redirect_is_permanent_and_not_followed(scripted: tuple[str, type[_Recorder]]) -> None:
    base, handler = scripted
    handler.script["/send"] = [(301, {"Location": "https://elsewhere.example/send"}, b"")]
    with WhatsAppChannel(base, "wa-REDIRECT-token") as channel:
        result = channel.send("081234567890", ALERT)
    assert result.permanent_failure
    assert result.status_code == 301
    assert "check the URL" in (result.error or "")
    assert [s["path"] for s in handler.seen] == ["/send"]
    assert_no_secrets(result, "wa-REDIRECT-token")


def _after_one_503(retry: Any, headers: dict[str, str] | None = None) -> Any:
    from urllib3.response import HTTPResponse

    response = HTTPResponse(status=503, headers=headers or {})
    return retry.increment(method="GET", url="/feed", response=response), response


def test_the_first_retry_backs_off_too() -> None:
    """urllib3 2 re-tries at once the first time; with one re-try that is no backoff at all."""
    retry = siaga_http.make_retry(2, backoff_factor=1.0)
    assert retry.get_backoff_time() == 0.0  # nothing failed yet
    once, _ = _after_one_503(retry)
    assert once.get_backoff_time() == 1.0
    from urllib3.exceptions import ProtocolError

    twice = once.increment(method="GET", url="/feed", error=ProtocolError("connection reset"))
    assert twice.get_backoff_time() == 2.0


@pytest.mark.parametrize(("header", "wait"), [("120", 5.0), ("2", 2.0), (None, None)])
def test_retry_after_is_obeyed_up_to_a_cap(header: str | None, wait: float | None) -> None:
    retry, response = _after_one_503(
        siaga_http.make_retry(1, 1.0), {"Retry-After": header} if header else None
    )
    assert retry.get_retry_after(response) == wait
    assert wait is None or wait <= siaga_http.RETRY_AFTER_MAX
