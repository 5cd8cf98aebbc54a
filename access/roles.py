"""The four roles and the error raised when an actor lacks one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

Role = Literal["investigator", "supervisor", "operator", "admin"]

ROLES: Final[tuple[Role, ...]] = ("investigator", "supervisor", "operator", "admin")

#: The actor name used for changes the service makes on its own (enforcement).
SERVICE_ACTOR: Final = "service:chanwatch"


class AccessDenied(Exception):
    """An actor may not do this: unknown, disabled, wrong secret or missing role.

    The message is meant for the person at the terminal: it says who, what
    was needed and why it was refused, never a secret.
    """


class PolicyViolation(ValueError):
    """A request breaks a lawful-use rule (limits, self-approval, scope...)."""


def parse_roles(values: Iterable[str]) -> tuple[Role, ...]:
    """Validate role names; returns them de-duplicated in canonical order."""
    wanted = {v.strip().lower() for v in values if v.strip()}
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not wanted:
        raise ValueError(f"a user needs at least one role of {', '.join(ROLES)}")
    return tuple(r for r in ROLES if r in wanted)
