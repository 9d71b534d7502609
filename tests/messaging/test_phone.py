"""Indonesian mobile numbers are normalised to 628… and anything else is refused clearly."""

from __future__ import annotations

import pytest

from siaga.messaging.channels.phone import is_msisdn, normalize_msisdn


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0812-3456-789", "628123456789"),
        ("081234567890", "6281234567890"),
        ("+62 812 3456 789", "628123456789"),
        ("+628123456789", "628123456789"),
        ("62 812-3456-789", "628123456789"),
        ("62.812.3456.789", "628123456789"),
        ("(0812) 3456 789", "628123456789"),
        ("(+62) 812-3456-789", "628123456789"),
        ("+62 (0)812 3456 789", "628123456789"),
        ("+62 0812 3456 789", "628123456789"),
        ("0062 812 3456 789", "628123456789"),
        ("  0857 1234 5678  ", "6285712345678"),
        ("8123456789", "628123456789"),
        ("0811-234-567", "62811234567"),  # shortest still in use: 9 digits after 62
        ("0812-3456-78901", "62812345678901"),  # 13-digit national number
        ("0895\u00a01234\u00a05678", "6289512345678"),  # non-breaking spaces pasted from a chat
    ],
)
def test_accepted_forms(raw: str, expected: str) -> None:
    assert normalize_msisdn(raw) == expected
    assert is_msisdn(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("0812-3456-789x", "only digits"),
        ("0812/3456/789", "only digits"),
        ("+62 812 3456 789 ext 1", "only digits"),
        ("021-555-1234", "mobile numbers start with 08"),  # Jakarta landline
        ("+62 21 555 1234", "mobile numbers start with 08"),
        ("+65 8123 4567", r"must start with \+62"),  # Singapore
        ("+1 415 555 0100", r"must start with \+62"),
        ("0812-345", "6 digits after the country code"),
        ("0812-3456-789012", "13 digits after the country code"),
        ("0802-3456-789", "starting 81-89"),
        ("12345", "not an Indonesian mobile number"),
    ],
)
def test_refused_with_a_clear_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_msisdn(raw)
    assert not is_msisdn(raw)


def test_error_message_shows_an_example() -> None:
    with pytest.raises(ValueError) as info:
        normalize_msisdn("021-555-1234")
    assert "0812-3456-789" in str(info.value)
