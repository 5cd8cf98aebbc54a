"""The console in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; no browser download): every role signs in, an operator works an
alert from open to confirmed, a supervisor approves a watch request and exports
a bundle, a new alert appears in an open queue without a reload, a role is
refused where it may not go. Screenshots of the queue and the alert page go
to docs/screenshots/ (1280x800). One browser for the whole module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from console_support import PASSWORD, lawful_case
from hotline_support import make_alert
from served_support import Served

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

playwright_sync = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium (make test installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s = Served(tmp_path_factory.mktemp("console-browser"))
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                               args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page_as(browser: Any, served: Served) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []
    problems: list[str] = []

    def open_as(user: str) -> Any:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(served.url + "/login")
        page.fill("#username", user)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")  # keyboard only
        return page

    yield open_as
    for ctx in contexts:
        ctx.close()
    csp = [p for p in problems if "Content Security Policy" in p]
    assert not csp, csp


def test_every_role_signs_in_to_its_home(page_as: Callable[[str], Any]) -> None:
    for user, heading in (("olga", "Alert queue"), ("sam", "Supervision"),
                          ("ivan", "Your cases"), ("root", "Administration")):
        page = page_as(user)
        assert page.locator("h1").first.inner_text() == heading, (user, page.content()[-1500:])
        assert user in page.locator(".who").inner_text()


def test_operator_works_an_alert_to_confirmed_and_screenshots(
    page_as: Callable[[str], Any], served: Served
) -> None:
    env = served.env
    for n, (prio, hours) in enumerate(((1, 20), (2, 1.5), (3, -1), (2, 5)), start=100):
        served.run(make_alert(env.store, n, priority=prio,
                              due_in=__import__("datetime").timedelta(hours=hours)))
    alert = served.run(make_alert(env.store, 200, priority=1))
    page = page_as("olga")
    page.goto(served.url + "/queue")
    assert page.locator("tr.u-overdue").count() >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue.png"))
    page.click(f"a[href='/alerts/{alert.id}']")
    page.click("#show-text")
    assert "secret post text" in page.locator("#post-text").inner_text()
    page.screenshot(path=str(SHOTS / "alert.png"), full_page=True)
    page.click("#claim")
    page.fill("#confirm-note", "the picture is the banked one")
    page.click("#confirm")
    assert "confirmed" in page.locator("h1").inner_text()
    decided = served.run(env.store.get_alert(alert.id))
    assert decided is not None and decided.state == "confirmed" and decided.decided_by == "olga"


def test_a_new_alert_appears_live(page_as: Callable[[str], Any], served: Served) -> None:
    page = page_as("otto")
    page.goto(served.url + "/queue")
    page.wait_for_timeout(1500)  # the event stream is open
    alert = served.run(make_alert(served.env.store, 300))
    page.wait_for_selector(f"tr[data-alert='{alert.id}']", timeout=5000)


def test_supervisor_approves_and_exports(page_as: Callable[[str], Any], served: Served) -> None:
    request_id = served.run(lawful_case(served.env, "@live_channel"))
    page = page_as("sue")
    page.goto(served.url + "/supervisor")
    page.fill(f"#approve-note-{request_id}", "order checked")
    page.click(f"#approve-{request_id}")
    requests = served.run(served.env.services.requests.list())
    assert next(r for r in requests if r.id == request_id).state == "approved"
    page.click("#export-K-1")
    page.wait_for_selector("#download", timeout=20000)
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename.endswith(".zip")


def test_refused_where_the_role_does_not_allow(
    page_as: Callable[[str], Any], served: Served
) -> None:
    page = page_as("olga")
    answer = page.goto(served.url + "/admin")
    assert answer is not None and answer.status == 403
    assert "lacks the role" in page.locator(".problem").inner_text()
    page = page_as("ivan")
    answer = page.goto(served.url + "/queue")
    assert answer is not None and answer.status == 403
