"""Length limits: Telegram 4,096 and SMS 160/153 (70/67 UCS-2), always keeping the link."""

from __future__ import annotations

import itertools

import pytest

from siaga.messaging.channels.text import (
    SMS_GSM_PART,
    SMS_UCS2_PART,
    TELEGRAM_MAX,
    compose,
    gsm7_len,
    is_gsm7,
    shorten_sms,
    sms_length_fn,
    sms_parts_needed,
    split_sms,
    truncate_keeping_link,
    truncate_telegram,
    utf16_len,
)

LINK = "https://siaga.example.go.id/peringatan/2024-0042"
SENTENCE = "Peringatan dini banjir: warga bantaran Sungai Citarum diminta segera mengungsi ke titik kumpul. "


def test_compose_puts_the_link_on_its_own_last_line_once() -> None:
    assert compose("Gempa M5,2 ", LINK) == f"Gempa M5,2\n{LINK}"
    assert compose(f"Lihat {LINK}", LINK) == f"Lihat\n{LINK}"
    assert compose("Tanpa tautan") == "Tanpa tautan"
    assert compose("", LINK) == LINK


def test_telegram_short_text_is_untouched() -> None:
    assert truncate_telegram("Siaga 1 banjir", LINK) == f"Siaga 1 banjir\n{LINK}"


def test_telegram_long_text_is_cut_to_4096_keeping_the_link() -> None:
    text = "kata " * 2000  # 10,000 characters
    out = truncate_telegram(text, LINK)
    assert utf16_len(out) <= TELEGRAM_MAX
    assert out.endswith(f"…\n{LINK}")
    assert out.startswith("kata kata")
    assert "kat…" not in out  # cut at a word boundary
    assert utf16_len(out) > TELEGRAM_MAX - 20  # and not much shorter than allowed


def test_telegram_counts_emoji_as_two_units() -> None:
    text = "🌊" * 3000  # 3,000 characters but 6,000 UTF-16 units
    out = truncate_telegram(text, LINK)
    assert utf16_len(out) <= TELEGRAM_MAX
    assert out.endswith(LINK)


def test_telegram_exactly_at_the_limit_is_kept_whole() -> None:
    text = "a" * (TELEGRAM_MAX - len(LINK) - 1)
    assert truncate_telegram(text, LINK) == f"{text}\n{LINK}"
    assert truncate_telegram(text + "b", LINK).endswith(f"…\n{LINK}")


def test_absurdly_long_link_is_cut_as_text_rather_than_overflowing() -> None:
    out = truncate_keeping_link("teks", 50, "https://x.example/" + "a" * 100)
    assert len(out) <= 50


def test_gsm_alphabet_and_extension_costs() -> None:
    assert is_gsm7("Pengungsi di Balai Desa: 120 orang, butuh air & selimut!")
    assert gsm7_len("harga {beras} €10") == len("harga {beras} €10") + 3
    assert not is_gsm7("Banjir 🌊")
    assert not is_gsm7("“kutipan”")  # curly quotes force UCS-2
    assert sms_length_fn("abc")[1:] == (160, 153)
    assert sms_length_fn("abc 🌊")[1:] == (70, 67)


def test_sms_single_part_up_to_160() -> None:
    text = "x" * (160 - len(LINK) - 1)
    assert split_sms(text, LINK) == [f"{text}\n{LINK}"]
    assert len(split_sms(text + "y", LINK)) == 2


def test_sms_split_at_153_with_the_link_whole_in_the_last_part() -> None:
    text = SENTENCE * 4
    parts = split_sms(text, LINK)
    assert len(parts) >= 3
    assert all(gsm7_len(p) <= SMS_GSM_PART for p in parts)
    assert parts[-1].endswith(f"\n{LINK}")
    assert all(LINK not in p for p in parts[:-1])
    assert "".join(parts) == compose(text, LINK)  # nothing lost, nothing added
    for part, following in itertools.pairwise(parts):  # cuts fall between words
        assert part[-1].isspace() or following[0].isspace()


def test_sms_extension_characters_count_double_when_splitting() -> None:
    text = "{" * 200
    parts = split_sms(text)
    assert all(gsm7_len(p) <= SMS_GSM_PART for p in parts)
    assert "".join(parts) == text


def test_sms_ucs2_parts_of_67() -> None:
    text = "Gempa 🙏 mohon tetap tenang dan jauhi bangunan rusak. " * 4
    parts = split_sms(text, LINK)
    assert all(utf16_len(p) <= SMS_UCS2_PART for p in parts)
    assert parts[-1].endswith(LINK)
    assert "".join(parts) == compose(text, LINK)


def test_sms_max_parts_shortens_the_text_not_the_link() -> None:
    text = SENTENCE * 10
    parts = split_sms(text, LINK, max_parts=2)
    assert len(parts) == 2
    assert all(gsm7_len(p) <= SMS_GSM_PART for p in parts)
    assert parts[-1].endswith(f"...\n{LINK}")
    assert is_gsm7("".join(parts))  # the marker is "...", not the non-GSM "…"


def test_shorten_sms_fits_one_message_with_the_link() -> None:
    out = shorten_sms(SENTENCE * 3, LINK)
    assert gsm7_len(out) <= 160
    assert out.endswith(f"...\n{LINK}")
    assert out.startswith("Peringatan dini banjir")


def test_shorten_sms_short_text_untouched() -> None:
    assert shorten_sms("Siaga 2", LINK) == f"Siaga 2\n{LINK}"


def test_parts_needed() -> None:
    assert sms_parts_needed("a" * 160) == 1
    assert sms_parts_needed("a" * 161) == 2
    assert sms_parts_needed("a" * 306) == 2
    assert sms_parts_needed("a" * 307) == 3


@pytest.mark.parametrize("max_parts", [1, 2, 3])
def test_every_shortened_split_respects_its_limit(max_parts: int) -> None:
    for n in range(0, 900, 37):
        parts = split_sms(("abc " * n).strip(), LINK, max_parts=max_parts)
        assert 1 <= len(parts) <= max_parts
        assert parts[-1].endswith(LINK)
        limit = 160 if len(parts) == 1 else SMS_GSM_PART
        assert all(gsm7_len(p) <= limit for p in parts)
