"""`make demo` (monitor.demo) runs end to end and ends with the alert queue."""

from __future__ import annotations

import pytest

from monitor import demo


def test_demo_runs_and_prints_the_alert_queue(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo joins three channels, records their posts (none of the unwatched
    one), raises exactly one alert and prints it with `alerts list`."""
    for key in [k for k in __import__("os").environ if k.startswith("CHANWATCH_")]:
        monkeypatch.delenv(key)
    assert demo.main() == 0
    out = capsys.readouterr().out
    assert out.count("  joined    ") == 3
    assert "@cooking_demo       0 posts" in out
    assert "@daily_news_demo    6 posts, 1 edited, 1 deleted" in out
    assert out.count("  ALERT 1: @photo_swap_demo #4, pdq distance") == 1
    assert "  ALERT     @photo_swap_demo #4: alert 1 raised" in out
    assert "  edited    @daily_news_demo #4" in out and "  deleted   @daily_news_demo #5" in out
    queue = out.split("== chanwatch alerts list", 1)[1].strip().splitlines()
    assert queue[0].startswith("ID  STATE")
    assert len(queue) == 2 and " open " in queue[1] and "demo-known" in queue[1]
