"""The lawful limits and the validity of an authorization, as pure functions.

Defaults follow the usual statutory frame for covert telecommunication
measures: one authorization lasts at most 3 months; extensions add at most
3 months each and the whole measure lasts at most 12 months from its start;
an emergency measure ordered without a court must be confirmed within 48 hours
or it ends by itself. All are settings (``CHANWATCH_ACCESS_*``, turned into
:class:`Limits` by the monitor's wiring); the checks here refuse anything
outside them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal, Protocol

from access.roles import PolicyViolation

AuthorizationKind = Literal["court", "prosecutor", "emergency", "public"]

KINDS: Final[dict[AuthorizationKind, str]] = {
    "court": "court approval",
    "prosecutor": "prosecutor request",
    "emergency": "emergency measure pending approval",
    "public": "non-covert monitoring of public channels",
}


@dataclass(frozen=True, slots=True)
class Limits:
    max_months: int = 3
    extension_max_months: int = 3
    total_max_months: int = 12
    emergency_window: timedelta = timedelta(hours=48)
    reminder_before: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        for name in ("max_months", "extension_max_months", "total_max_months"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.total_max_months < self.max_months:
            raise ValueError("total_max_months must be at least max_months")
        if self.emergency_window <= timedelta(0):
            raise ValueError("emergency_window must be positive")
        if self.reminder_before < timedelta(0):
            raise ValueError("reminder_before must not be negative")


class AuthorizationTimes(Protocol):
    """What validity depends on; :class:`storage.access_models.Authorization` is one."""

    @property
    def kind(self) -> str: ...
    @property
    def valid_from(self) -> datetime: ...
    @property
    def valid_until(self) -> datetime: ...
    @property
    def confirmed_at(self) -> datetime | None: ...
    @property
    def revoked_at(self) -> datetime | None: ...


Status = Literal["pending", "valid", "expired", "revoked", "lapsed"]


def parse_kind(value: str) -> AuthorizationKind:
    v = value.strip().lower().replace("_", "-")
    aliases: dict[str, AuthorizationKind] = {
        "court": "court",
        "court-approval": "court",
        "prosecutor": "prosecutor",
        "prosecutor-request": "prosecutor",
        "emergency": "emergency",
        "emergency-measure": "emergency",
        "public": "public",
        "non-covert": "public",
        "public-monitoring": "public",
    }
    if v not in aliases:
        raise ValueError(f"unknown authorization kind {value!r}; kinds are {', '.join(KINDS)}")
    return aliases[v]


def add_months(when: datetime, months: int) -> datetime:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month0 = when.month - 1 + months
    year = when.year + month0 // 12
    month = month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def emergency_deadline(auth: AuthorizationTimes, limits: Limits) -> datetime:
    """When an unconfirmed emergency measure ends by itself."""
    return auth.valid_from + limits.emergency_window


def effective_until(auth: AuthorizationTimes, limits: Limits) -> datetime:
    """The end of validity, taking an unconfirmed emergency's window into account."""
    if auth.kind == "emergency" and auth.confirmed_at is None:
        return min(auth.valid_until, emergency_deadline(auth, limits))
    return auth.valid_until


def status_at(auth: AuthorizationTimes, now: datetime, limits: Limits) -> Status:
    """Where the authorization stands at ``now``; only ``"valid"`` permits anything."""
    if auth.revoked_at is not None and auth.revoked_at <= now:
        return "revoked"
    if now < auth.valid_from:
        return "pending"
    if now >= effective_until(auth, limits):
        if auth.kind == "emergency" and auth.confirmed_at is None and now < auth.valid_until:
            return "lapsed"
        return "expired"
    return "valid"


def check_new(
    kind: AuthorizationKind, valid_from: datetime, valid_until: datetime, limits: Limits
) -> None:
    """Refuse a new authorization outside the limits."""
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise PolicyViolation("authorization times must carry a time zone (use UTC)")
    if valid_until <= valid_from:
        raise PolicyViolation("valid-until must be after valid-from")
    limit = add_months(valid_from, limits.max_months)
    if valid_until > limit:
        raise PolicyViolation(
            f"an authorization lasts at most {limits.max_months} months: "
            f"valid-until may be at most {limit.isoformat()}"
        )


def check_extension(
    auth: AuthorizationTimes, new_until: datetime, now: datetime, limits: Limits
) -> None:
    """Refuse an extension that is late, too long, or beyond the total limit."""
    status = status_at(auth, now, limits)
    if status in ("revoked", "expired", "lapsed"):
        raise PolicyViolation(f"cannot extend an authorization that is {status}; record a new one")
    if auth.kind == "emergency" and auth.confirmed_at is None:
        raise PolicyViolation("an emergency measure must be confirmed before it can be extended")
    if new_until <= auth.valid_until:
        raise PolicyViolation("an extension must end after the current valid-until")
    step = add_months(auth.valid_until, limits.extension_max_months)
    if new_until > step:
        raise PolicyViolation(
            f"one extension adds at most {limits.extension_max_months} months: "
            f"the new valid-until may be at most {step.isoformat()}"
        )
    total = add_months(auth.valid_from, limits.total_max_months)
    if new_until > total:
        raise PolicyViolation(
            f"a measure lasts at most {limits.total_max_months} months in total: "
            f"valid-until may be at most {total.isoformat()}"
        )


def check_confirmation(auth: AuthorizationTimes, now: datetime, limits: Limits) -> None:
    """An emergency measure can be confirmed only while its window is open."""
    if auth.kind != "emergency":
        raise PolicyViolation("only an emergency measure needs confirming")
    if auth.confirmed_at is not None:
        raise PolicyViolation("this emergency measure is already confirmed")
    if auth.revoked_at is not None:
        raise PolicyViolation("this emergency measure was revoked")
    deadline = emergency_deadline(auth, limits)
    if now >= deadline:
        raise PolicyViolation(
            f"the emergency measure ended at {deadline.isoformat()} without confirmation; "
            "record a new authorization"
        )
