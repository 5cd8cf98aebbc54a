"""The recording gate in the post path: a post sink that asks the
authorization gate before handing a post to the pipeline.

A refused post is not recorded (nothing of it reaches the store) and is not
committed, so the channel's cursor stays before it; the gate counts it for the
audit trail. The channel itself is left by the enforcement job. An accepted
post goes on with the authorization's id and case reference in
``Post.authority``: the store writes them into its ledger records.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from access.coverage import AuthorizationRef
from access.gate import AuthorizationGate
from handlers.post import Post
from storage.models import Authority


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
        return await self._inner.process(replace(post, authority=authority(ref)))

    async def authority_of(self, channel_id: int) -> Authority | None:
        """The authority to record a deletion in the channel under (None: refused)."""
        ref = await self._gate.covering(channel_id)
        return None if ref is None else authority(ref)


def authority(ref: AuthorizationRef) -> Authority:
    return Authority(ref.authorization_id, ref.case_reference)
