"""The access layer's wiring (monitor.access_control): limits and pacing from the
settings, the services of the one factory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from access.pacing import Pacing
from access.policy import Limits
from monitor.access_control import limits_from, pacing_from, services_from
from monitor.settings import AccessSettings, AccountSettings, Settings
from storage.sqlite import SQLiteStore


def test_limits_come_from_settings_and_refuse_nonsense() -> None:
    """Settings feed the limits; a total shorter than one authorization is refused."""
    limits = limits_from(
        AccessSettings(max_months=2, emergency_window=timedelta(hours=24))
    )
    assert limits.max_months == 2 and limits.emergency_window == timedelta(hours=24)
    with pytest.raises(ValueError, match="total_max_months"):
        Limits(max_months=6, total_max_months=3)


def test_pacing_from_settings_and_bad_values() -> None:
    """Settings feed the pacing; nonsense values are refused."""
    p = pacing_from(AccountSettings(join_daily_limit=7, channel_limit=100))
    assert (p.daily_limit, p.channel_limit) == (7, 100)
    with pytest.raises(ValueError, match="at least 1"):
        Pacing(daily_limit=0)
    with pytest.raises(ValueError, match="negative"):
        Pacing(min_gap=timedelta(seconds=-1))


async def test_services_carry_the_settings(tmp_path: Path) -> None:
    """The one factory builds every service on the store, with the settings' limits."""
    settings = Settings(access={"max_months": 2}, accounts={"join_daily_limit": 7})
    store = SQLiteStore(tmp_path / "cw.db")
    await store.open()
    try:
        svc = services_from(store, settings)
        assert svc.limits.max_months == 2 and svc.cases.limits.max_months == 2
        assert not await svc.users.any_exist()
        assert await svc.watches.list() == []
        assert await svc.accounts.views() == []
    finally:
        await store.close()
