"""Parsing of channel names as users type them."""

from __future__ import annotations

import pytest

from monitor.targets import Target, TargetError, parse_target


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@SomeChannel", Target("username", "somechannel")),
        ("t.me/some_channel", Target("username", "some_channel")),
        ("https://t.me/some_channel/", Target("username", "some_channel")),
        ("http://telegram.me/abcde", Target("username", "abcde")),
        ("t.me/+AbC-d_123456", Target("invite", "AbC-d_123456")),
        ("https://t.me/joinchat/AbCdEf123", Target("invite", "AbCdEf123")),
    ],
)
def test_accepted_forms(text: str, expected: Target) -> None:
    """@name, t.me/name and both invite link forms are understood."""
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty channel name"),
        ("somechannel", "is not a channel"),
        ("@1abc", "not a valid Telegram username"),
        ("t.me/+!!", "not a valid invite hash"),
        ("t.me/name/123", "single post"),
        ("https://example.org/name", "is not a channel"),
    ],
)
def test_rejected_forms(text: str, message: str) -> None:
    """Anything else is refused with a message saying what is wrong."""
    with pytest.raises(TargetError, match=message):
        parse_target(text)
