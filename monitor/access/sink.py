"""The recording gate in the post path: a post sink that asks the
authorization gate before handing a post to the pipeline.

A refused post is not recorded (nothing of it reaches the store) and is not
committed, so the channel's cursor stays before it; the gate counts it for the
audit trail. The channel itself is left by the enforcement job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handlers.post import Post
from monitor.access.gate import AuthorizationGate


class Outcome(Protocol):
    @property
    def committed(self) -> bool: ...


class PostSink(Protocol):
    async def process(self, post: Post) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class Refused:
    """The outcome of a post refused for want of a valid authorization."""

    channel_id: int
    message_id: int
    committed: bool = False


class GatedSink:
    def __init__(self, inner: PostSink, gate: AuthorizationGate) -> None:
        self._inner = inner
        self._gate = gate

    async def process(self, post: Post) -> Outcome:
        ref = await self._gate.may_record(post.channel_id, message_id=post.message_id)
        if ref is None:
            return Refused(post.channel_id, post.message_id)
        return await self._inner.process(post)
