from __future__ import annotations

from console_support import Env, sign_in
from hotline_support import make_alert


async def test_operator_signs_in_and_sees_the_queue(env: Env) -> None:
    alert = await make_alert(env.store, 1)
    b = await sign_in(env, "olga")
    page = await b.http.get("/queue")
    assert page.status_code == 200
    assert f"#{alert.id}" in page.text
    api = env.api("olga")
    r = await api.get("/api/v1/queue")
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["id"] == alert.id
