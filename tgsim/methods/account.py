"""Sign-up / sign-in as on Telegram's test servers, users, help and config.

Phone numbers ``99966XYYYY`` (X = the server's dc id) are accepted; the login
code is the dc id repeated five times.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from tgsim import render
from tgsim.rpc import Ctx, Handler
from tgsim.tlkit import TLError, mk, tl
from tgsim.world import utcnow


def _phone(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isdigit())


async def send_code(ctx: Ctx, req: Any) -> Any:
    phone = _phone(req.phone_number)
    if not ctx.hub.world.phone_ok(phone):
        raise TLError(400, "PHONE_NUMBER_INVALID")
    code_hash = secrets.token_hex(8)
    ctx.hub.world.code_hashes[phone] = code_hash
    return mk(
        tl.auth.SentCode,
        type=mk(tl.auth.SentCodeTypeApp, length=5),
        phone_code_hash=code_hash,
    )


def _check_code(ctx: Ctx, phone: str, code_hash: str, code: str | None) -> None:
    if not ctx.hub.world.phone_ok(phone):
        raise TLError(400, "PHONE_NUMBER_INVALID")
    if not code_hash:
        raise TLError(400, "PHONE_CODE_HASH_EMPTY")
    if code_hash != ctx.hub.world.code_hashes.get(phone):
        raise TLError(400, "PHONE_CODE_EXPIRED")
    if code is not None and code != str(ctx.hub.world.dc_id) * 5:
        raise TLError(400, "PHONE_CODE_INVALID")


def _authorize(ctx: Ctx, user_id: int) -> Any:
    acc = ctx.hub.world.accounts[user_id]
    ctx.hub.world.code_hashes.pop(acc.phone, None)  # a code logs in once
    ctx.key.user_id = user_id
    ctx.hub.keys_changed()
    return mk(tl.auth.Authorization, user=render.user(acc, user_id))


async def sign_in(ctx: Ctx, req: Any) -> Any:
    phone = _phone(req.phone_number)
    _check_code(ctx, phone, req.phone_code_hash, req.phone_code or "")
    user_id = ctx.hub.world.by_phone.get(phone)
    if user_id is None:
        return mk(tl.auth.AuthorizationSignUpRequired)
    return _authorize(ctx, user_id)


async def sign_up(ctx: Ctx, req: Any) -> Any:
    phone = _phone(req.phone_number)
    _check_code(ctx, phone, req.phone_code_hash, None)
    if phone in ctx.hub.world.by_phone:
        raise TLError(400, "PHONE_NUMBER_OCCUPIED")
    if not req.first_name.strip():
        raise TLError(400, "FIRSTNAME_INVALID")
    acc = ctx.hub.world.create_account(phone, req.first_name, req.last_name or "")
    ctx.hub.log.info("signed up", user_id=acc.user_id)
    return _authorize(ctx, acc.user_id)


async def log_out(ctx: Ctx, req: Any) -> Any:
    ctx.key.user_id = None
    ctx.hub.keys_changed()
    return mk(tl.auth.LoggedOut)


def _input_user_id(ctx: Ctx, ref: Any) -> int | None:
    name = type(ref).__name__
    if name == "InputUserSelf":
        return ctx.user_id
    if name in ("InputUser", "InputPeerUser"):
        acc = ctx.hub.world.accounts.get(ref.user_id)
        if acc is not None and acc.access_hash == ref.access_hash:
            return acc.user_id
    return None


async def get_users(ctx: Ctx, req: Any) -> list[Any]:
    out: list[Any] = []
    for ref in req.id:
        uid = _input_user_id(ctx, ref)
        if uid is not None:
            out.append(render.user(ctx.hub.world.accounts[uid], ctx.user_id))
    return out


async def get_full_user(ctx: Ctx, req: Any) -> Any:
    uid = _input_user_id(ctx, req.id)
    if uid is None:
        raise TLError(400, "USER_ID_INVALID")
    acc = ctx.hub.world.accounts[uid]
    full = mk(
        tl.UserFull,
        id=uid,
        settings=mk(tl.PeerSettings),
        notify_settings=mk(tl.PeerNotifySettings),
        common_chats_count=0,
    )
    return mk(tl.users.UserFull, full_user=full, chats=[], users=[render.user(acc, ctx.user_id)])


async def get_config(ctx: Ctx, req: Any) -> Any:
    now = utcnow()
    return mk(
        tl.Config,
        date=now,
        expires=now + dt.timedelta(hours=1),
        test_mode=True,
        this_dc=ctx.hub.world.dc_id,
        dc_options=[
            mk(tl.DcOption, id=ctx.hub.world.dc_id, ip_address=ctx.hub.host, port=ctx.hub.port)
        ],
        dc_txt_domain_name="tgsim.invalid",
        chat_size_max=200,
        megagroup_size_max=200000,
        forwarded_count_max=100,
        online_update_period_ms=210000,
        offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000,
        online_cloud_timeout_ms=300000,
        notify_cloud_delay_ms=30000,
        notify_default_delay_ms=1500,
        push_chat_period_ms=60000,
        push_chat_limit=2,
        edit_time_limit=172800,
        revoke_time_limit=2147483647,
        revoke_pm_time_limit=2147483647,
        rating_e_decay=2419200,
        stickers_recent_limit=200,
        channels_read_media_period=604800,
        call_receive_timeout_ms=20000,
        call_ring_timeout_ms=90000,
        call_connect_timeout_ms=30000,
        call_packet_timeout_ms=10000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=ctx.hub.world.dc_id,
    )


async def get_nearest_dc(ctx: Ctx, req: Any) -> Any:
    dc = ctx.hub.world.dc_id
    return mk(tl.NearestDc, country="ZZ", this_dc=dc, nearest_dc=dc)


HANDLERS: dict[str, Handler] = {
    "auth.SendCodeRequest": send_code,
    "auth.SignInRequest": sign_in,
    "auth.SignUpRequest": sign_up,
    "auth.LogOutRequest": log_out,
    "users.GetUsersRequest": get_users,
    "users.GetFullUserRequest": get_full_user,
    "help.GetConfigRequest": get_config,
    "help.GetNearestDcRequest": get_nearest_dc,
}
PUBLIC = {
    "auth.SendCodeRequest",
    "auth.SignInRequest",
    "auth.SignUpRequest",
    "help.GetConfigRequest",
    "help.GetNearestDcRequest",
}
