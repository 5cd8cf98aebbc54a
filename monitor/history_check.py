"""Ask Telegram about stored posts by message id, and read the answer by id.

Servers answer ``channels.getMessages`` differently. Telegram gives one entry
per requested id, in request order, ``messageEmpty`` for a missing one; other
implementations answer sorted by id and leave missing ids out (Telethon's own
code says servers may omit invalid ids); message ids may have gaps. So an answer
is never read by position. :func:`check_ids` sorts every entry by its id:

* a ``Message`` of the channel with a requested id: the post exists (``found``);
* ``messageEmpty`` with a requested id: the post is gone, as the protocol says
  (``gone``, evidence ``message_empty``);
* a requested id missing from the answer: *not returned*, which by itself is
  never a deletion. The channel's history over the range of those ids is then
  listed (``messages.getHistory``, paged downwards from above the range until a
  page reaches below it or the channel's first post): that listing is the
  server's complete account of which messages exist in the range. A missing id
  absent from it is gone (evidence ``history``); one present in it is found
  there. When the listing contradicts the answer (a post getMessages returned is
  not in it) or never completes, neither is believed: the ids stay
  ``unsettled`` and are asked again later;
* anything else (an id not asked for, another channel's message, a service
  message where a post was stored, a second entry for one id): unexpected,
  logged once and ignored.

Deletions that Telegram pushes (``UpdateDeleteChannelMessages``) are recorded by
:mod:`monitor.intake`; this module is for posts looked at again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
from telethon import TelegramClient, utils
from telethon.errors import MessageIdsEmptyError
from telethon.tl import functions, types

from monitor.telegram.convert import channel_id_of, is_post

log = structlog.get_logger(__name__)

#: Most ids in one ``channels.getMessages`` request, and posts per history page.
CHUNK = 100
#: History pages allowed per listing, above those its ids need (a server that
#: pages by one message at a time is not followed forever).
EXTRA_PAGES = 10

Evidence = Literal["message_empty", "history"]


class OnceLog:
    """Logs each problem once (a warning) until it is cleared; a repeat is DEBUG.

    Keys are tuples starting with the channel id, e.g. ``(channel_id, "revisit")``.
    """

    def __init__(self) -> None:
        self._seen: set[Hashable] = set()

    def warning(
        self, key: tuple[Hashable, ...], event: str, *, exc_info: bool = False, **fields: Any
    ) -> bool:
        """Log ``event`` (with the traceback of the exception being handled when
        ``exc_info``, the first time only); True when it was logged as a warning."""
        if key in self._seen:
            log.debug(event, repeated=True, **fields)
            return False
        self._seen.add(key)
        log.warning(event, exc_info=exc_info, **fields)
        return True

    def clear(self, key: tuple[Hashable, ...]) -> bool:
        """Forget ``key`` (the problem is gone); True when it had been logged."""
        if key in self._seen:
            self._seen.discard(key)
            return True
        return False


@dataclass
class Checked:
    """What Telegram said about a set of message ids of one channel."""

    found: dict[int, Any] = field(default_factory=dict)
    gone: dict[int, Evidence] = field(default_factory=dict)
    unsettled: set[int] = field(default_factory=set)
    #: Requests made (getMessages chunks and history pages), for rate limits.
    requests: int = 0
    unexpected: list[str] = field(default_factory=list)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


async def check_ids(
    client: TelegramClient, peer: Any, channel_id: int, ids: Iterable[int], *, once: OnceLog
) -> Checked:
    """Ask for ``ids`` of one channel and sort the answer by id (see module doc)."""
    wanted = sorted(set(ids))
    out = Checked()
    channel = utils.get_input_channel(peer)
    for chunk in _chunks(wanted):
        out.requests += 1
        try:
            answer = await client(functions.channels.GetMessagesRequest(
                channel, [types.InputMessageID(i) for i in chunk]))
        except MessageIdsEmptyError:  # "all ids invalid": none was returned
            continue
        messages = getattr(answer, "messages", None)
        if not isinstance(messages, list):
            out.unexpected.append(f"getMessages answered {type(answer).__name__}")
            out.unsettled.update(chunk)
            continue
        sort_answer(messages, set(chunk), channel_id, out)
    missing = set(wanted) - set(out.found) - set(out.gone) - out.unsettled
    if missing:
        await _by_history(client, peer, channel_id, missing, out)
    if out.unexpected:
        once.warning((channel_id, "unexpected_answer"), "unexpected_answer",
                     channel_id=channel_id, what=out.unexpected[:5],
                     count=len(out.unexpected))
    return out


def sort_answer(messages: list[Any], asked: set[int], channel_id: int, out: Checked) -> None:
    for message in messages:
        mid = getattr(message, "id", None)
        if not isinstance(mid, int) or mid not in asked:
            out.unexpected.append(f"{type(message).__name__} {mid!r} was not asked for")
            continue
        if mid in out.found or mid in out.gone or mid in out.unsettled:
            out.unexpected.append(f"message {mid} answered twice")
            if out.gone.pop(mid, None) is not None or out.found.pop(mid, None) is not None:
                out.unsettled.add(mid)  # contradictory entries: believe neither
            continue
        owner = channel_id_of(message)
        if isinstance(message, types.MessageEmpty) and owner in (channel_id, None):
            out.gone[mid] = "message_empty"
        elif owner != channel_id:
            out.unexpected.append(f"message {mid} of another chat")
        elif not is_post(message):
            out.unexpected.append(f"message {mid} is a {type(message).__name__}")
            out.unsettled.add(mid)
        else:
            out.found[mid] = message


async def _by_history(
    client: TelegramClient, peer: Any, channel_id: int, missing: set[int], out: Checked
) -> None:
    lo, hi = min(missing), max(missing)
    max_pages = EXTRA_PAGES + 2 * (len(missing) // CHUNK + 1)
    listed = await _listing(client, peer, channel_id, lo, hi, max_pages, out)
    if listed is None:
        out.unsettled.update(missing)
        return
    contradicted = sorted(m for m in out.found if lo <= m <= hi and m not in listed)
    if contradicted:
        out.unexpected.append(
            f"history of {lo}..{hi} lacks posts getMessages returned: {contradicted[:5]}")
        out.unsettled.update(missing)
        return
    for mid in sorted(missing):
        message = listed.get(mid)
        if message is None:
            out.gone[mid] = "history"
        elif is_post(message):
            out.found[mid] = message
        else:
            out.unexpected.append(f"message {mid} is a {type(message).__name__}")
            out.unsettled.add(mid)


async def _listing(
    client: TelegramClient, peer: Any, channel_id: int, lo: int, hi: int, max_pages: int,
    out: Checked,
) -> dict[int, Any] | None:
    """Every message of the channel with an id in ``lo..hi``, or None when the
    server's pages do not add up to a complete listing."""
    listed: dict[int, Any] = {}
    offset = hi + 1
    for _ in range(max_pages):
        out.requests += 1
        page = await client(functions.messages.GetHistoryRequest(
            peer=peer, offset_id=offset, offset_date=None, add_offset=0, limit=CHUNK,
            max_id=0, min_id=0, hash=0))
        messages = [m for m in getattr(page, "messages", None) or ()
                    if isinstance(getattr(m, "id", None), int)]
        if not messages:
            return listed  # below the channel's first message: the listing is complete
        page_ids = sorted(int(m.id) for m in messages)
        if page_ids[-1] >= offset:
            out.unexpected.append(f"history page before {offset} holds {page_ids[-1]}")
            return None
        for message in messages:
            if isinstance(message, types.MessageEmpty):
                continue
            if channel_id_of(message) != channel_id:
                out.unexpected.append(f"history holds message {message.id} of another chat")
                return None
            if lo <= int(message.id) <= hi:
                listed[int(message.id)] = message
        if page_ids[0] < lo:
            return listed
        offset = page_ids[0]
    out.unexpected.append(f"history of {lo}..{hi} did not end within {max_pages} pages")
    return None
