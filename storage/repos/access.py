"""Repositories of people and authority: users and their roles, API tokens,
cases, authorizations (and their extensions), watch requests and the links
from watches to them, and the Telegram accounts. Policy (who may, within which
limits) lives in :mod:`access`; these store and read rows."""

from __future__ import annotations

from typing import Protocol


class UsersRepo(Protocol):
    pass


class TokensRepo(Protocol):
    pass


class CasesRepo(Protocol):
    pass


class AuthorizationsRepo(Protocol):
    pass


class RequestsRepo(Protocol):
    pass


class AccountsRepo(Protocol):
    pass
