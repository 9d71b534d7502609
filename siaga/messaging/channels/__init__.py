"""Messaging channels behind one interface, chosen by name.

``build_channel(name, settings)`` returns a ready :class:`Channel`. ``settings`` is
any string mapping; each key is looked up as written and then with a ``SIAGA_``
prefix, so the app can pass ``os.environ`` or its config directly. Secrets are
never echoed: errors name the missing or malformed *key* only.

Settings (environment ``SIAGA_<KEY>``):

=========================  ==========================================================
``whatsapp``               ``WHATSAPP_URL`` (gateway base, ``/send`` appended unless
                           present), ``WHATSAPP_TOKEN``; optional
                           ``WHATSAPP_COUNTRY_CODE`` (default ``62``)
``telegram``               ``TELEGRAM_BOT_TOKEN``; optional ``TELEGRAM_API_URL``
                           (default ``https://api.telegram.org``),
                           ``TELEGRAM_RATE_PER_CHAT`` (msg/s, default 1, 0 = off),
                           ``TELEGRAM_RATE_GLOBAL`` (msg/s, default 30, 0 = off)
``sms``                    ``SMS_URL`` (full endpoint), ``SMS_USERKEY``,
                           ``SMS_PASSKEY``; optional ``SMS_MODE`` (``split`` |
                           ``shorten``, default split), ``SMS_MAX_PARTS`` (default 3)
``email``                  ``SMTP_HOST``, ``MAIL_FROM``; optional ``SMTP_PORT``
                           (default by security: 587/465/25), ``SMTP_SECURITY``
                           (``starttls`` | ``ssl`` | ``none``, default starttls),
                           ``SMTP_USER``, ``SMTP_PASSWORD``, ``SMTP_TIMEOUT`` (s, 30)
``webhook``                ``WEBHOOK_SECRET`` (HMAC key; the address is the URL)
all HTTP channels          optional ``HTTP_CONNECT_TIMEOUT`` (s, 5),
                           ``HTTP_READ_TIMEOUT`` (s, 20)
=========================  ==========================================================

Channels that are not built from settings alone (the in-app inbox needs the
database) are added with :func:`register_channel`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .base import (
    Channel,
    ChannelConfigError,
    ChannelError,
    OutgoingMessage,
    Secret,
    SendResult,
    redact,
    retry_delay,
)
from .email import EmailChannel
from .sms import SmsChannel
from .telegram import TelegramChannel
from .webhook import WebhookChannel, verify_signature
from .whatsapp import WhatsAppChannel

ChannelFactory = Callable[[Mapping[str, str]], Channel]

_FACTORIES: dict[str, ChannelFactory] = {
    "whatsapp": WhatsAppChannel.from_settings,
    "telegram": TelegramChannel.from_settings,
    "sms": SmsChannel.from_settings,
    "email": EmailChannel.from_settings,
    "webhook": WebhookChannel.from_settings,
}

#: Settings each built-in channel cannot work without.
REQUIRED_SETTINGS: dict[str, tuple[str, ...]] = {
    "whatsapp": ("WHATSAPP_URL", "WHATSAPP_TOKEN"),
    "telegram": ("TELEGRAM_BOT_TOKEN",),
    "sms": ("SMS_URL", "SMS_USERKEY", "SMS_PASSKEY"),
    "email": ("SMTP_HOST", "MAIL_FROM"),
    "webhook": ("WEBHOOK_SECRET",),
}


def channel_names() -> tuple[str, ...]:
    """Names :func:`build_channel` accepts."""
    return tuple(_FACTORIES)


def register_channel(name: str, factory: ChannelFactory, required: tuple[str, ...] = ()) -> None:
    """Make ``build_channel(name, settings)`` call ``factory(settings)`` (e.g. the inbox)."""
    _FACTORIES[name] = factory
    REQUIRED_SETTINGS[name] = required


def build_channel(name: str, settings: Mapping[str, str]) -> Channel:
    """The channel called ``name``, configured from ``settings``.

    Raises :class:`ChannelError` for an unknown name and :class:`ChannelConfigError`
    for a missing or malformed setting. The caller should ``close()`` the channel
    (or use it in a ``with`` block) when done.
    """
    try:
        factory = _FACTORIES[name.strip().lower()]
    except KeyError:
        raise ChannelError(f"unknown channel {name!r}; known: {', '.join(_FACTORIES)}") from None
    return factory(settings)


def configured_channels(settings: Mapping[str, str]) -> list[str]:
    """Names of channels whose required settings are all present (for status pages)."""

    def present(key: str) -> bool:
        return bool(str(settings.get(key) or settings.get(f"SIAGA_{key}") or "").strip())

    return [name for name in _FACTORIES if all(present(k) for k in REQUIRED_SETTINGS.get(name, ()))]


__all__ = [
    "Channel",
    "ChannelConfigError",
    "ChannelError",
    "EmailChannel",
    "OutgoingMessage",
    "Secret",
    "SendResult",
    "SmsChannel",
    "TelegramChannel",
    "WebhookChannel",
    "WhatsAppChannel",
    "build_channel",
    "channel_names",
    "configured_channels",
    "redact",
    "register_channel",
    "retry_delay",
    "verify_signature",
]
