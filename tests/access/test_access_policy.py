"""The lawful limits and authorization validity (access.policy), pure functions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from access.policy import (
    Limits,
    add_months,
    check_confirmation,
    check_extension,
    check_new,
    effective_until,
    parse_kind,
    status_at,
)
from access.roles import PolicyViolation

T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
LIMITS = Limits()


@dataclass(frozen=True)
class Auth:
    kind: str
    valid_from: datetime
    valid_until: datetime
    confirmed_at: datetime | None = None
    revoked_at: datetime | None = None


def test_add_months_clamps_to_month_end() -> None:
    """31 January plus one month is the last day of February; years roll over."""
    assert add_months(T0, 1) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert add_months(T0, 3) == datetime(2026, 4, 30, 12, 0, tzinfo=UTC)
    assert add_months(T0, 12) == datetime(2027, 1, 31, 12, 0, tzinfo=UTC)


def test_new_authorization_at_most_three_months() -> None:
    """Exactly three months is allowed; one second more is refused with the limit named."""
    check_new("court", T0, add_months(T0, 3), LIMITS)
    with pytest.raises(PolicyViolation, match="at most 3 months"):
        check_new("court", T0, add_months(T0, 3) + timedelta(seconds=1), LIMITS)
    with pytest.raises(PolicyViolation, match="after valid-from"):
        check_new("court", T0, T0, LIMITS)
    with pytest.raises(PolicyViolation, match="time zone"):
        check_new("court", T0.replace(tzinfo=None), add_months(T0, 1), LIMITS)


def test_status_over_time() -> None:
    """pending before, valid within, expired at the end, revoked from revocation on."""
    a = Auth("court", T0, T0 + timedelta(days=10))
    assert status_at(a, T0 - timedelta(seconds=1), LIMITS) == "pending"
    assert status_at(a, T0, LIMITS) == "valid"
    assert status_at(a, T0 + timedelta(days=10), LIMITS) == "expired"
    revoked = replace(a, revoked_at=T0 + timedelta(days=2))
    assert status_at(revoked, T0 + timedelta(days=1), LIMITS) == "valid"
    assert status_at(revoked, T0 + timedelta(days=2), LIMITS) == "revoked"


def test_unconfirmed_emergency_lapses_after_48_hours() -> None:
    """An emergency measure is valid for 48 h unless confirmed, then until valid-until."""
    a = Auth("emergency", T0, T0 + timedelta(days=30))
    assert effective_until(a, LIMITS) == T0 + timedelta(hours=48)
    assert status_at(a, T0 + timedelta(hours=47, minutes=59), LIMITS) == "valid"
    assert status_at(a, T0 + timedelta(hours=48), LIMITS) == "lapsed"
    confirmed = replace(a, confirmed_at=T0 + timedelta(hours=20))
    assert status_at(confirmed, T0 + timedelta(days=10), LIMITS) == "valid"


def test_confirmation_only_within_the_window() -> None:
    """Confirming after the window, twice, or a non-emergency is refused."""
    a = Auth("emergency", T0, T0 + timedelta(days=30))
    check_confirmation(a, T0 + timedelta(hours=47), LIMITS)
    with pytest.raises(PolicyViolation, match="ended at"):
        check_confirmation(a, T0 + timedelta(hours=48), LIMITS)
    with pytest.raises(PolicyViolation, match="already confirmed"):
        check_confirmation(replace(a, confirmed_at=T0), T0, LIMITS)
    with pytest.raises(PolicyViolation, match="only an emergency"):
        check_confirmation(Auth("court", T0, T0 + timedelta(days=3)), T0, LIMITS)


def test_extensions_step_and_total_limits() -> None:
    """Each extension adds at most 3 months; the whole measure lasts at most 12."""
    t = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    a = Auth("court", t, add_months(t, 3))
    check_extension(a, add_months(t, 6), t, LIMITS)
    with pytest.raises(PolicyViolation, match="adds at most 3 months"):
        check_extension(a, add_months(t, 6) + timedelta(seconds=1), t, LIMITS)
    late = Auth("court", t, add_months(t, 11))
    check_extension(late, add_months(t, 12), t, LIMITS)
    with pytest.raises(PolicyViolation, match="at most 12 months in total"):
        check_extension(late, add_months(t, 12) + timedelta(seconds=1), t, LIMITS)
    with pytest.raises(PolicyViolation, match="must end after"):
        check_extension(a, add_months(t, 2), t, LIMITS)


def test_no_extension_of_ended_or_unconfirmed_measures() -> None:
    """Expired, revoked and unconfirmed emergency measures cannot be extended."""
    a = Auth("court", T0, T0 + timedelta(days=1))
    with pytest.raises(PolicyViolation, match="expired"):
        check_extension(a, T0 + timedelta(days=20), T0 + timedelta(days=2), LIMITS)
    with pytest.raises(PolicyViolation, match="revoked"):
        check_extension(replace(a, revoked_at=T0), T0 + timedelta(days=20), T0, LIMITS)
    e = Auth("emergency", T0, T0 + timedelta(days=20))
    with pytest.raises(PolicyViolation, match="confirmed before"):
        check_extension(e, T0 + timedelta(days=40), T0, LIMITS)


def test_kinds_parse_and_unknown_kind_is_named() -> None:
    """Kinds accept their long names; an unknown kind lists the known ones."""
    assert parse_kind("court-approval") == "court"
    assert parse_kind("Non-Covert") == "public"
    with pytest.raises(ValueError, match="kinds are court, prosecutor, emergency, public"):
        parse_kind("hunch")
