"""One client TCP connection: transport, key exchange, encrypted session,
service messages (acks, pings, containers, gzip, salts, session destruction)
and RPC calls, with fault injection applied per request."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import struct
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from telethon.errors import TypeNotFoundError
from telethon.tl import TLObject, TLRequest

from tgsim.faults import error_code
from tgsim.handshake import Handshake, HandshakeError, frame_plain, unframe_plain
from tgsim.quirks import as_older_layer
from tgsim.rpc import Ctx, qualname
from tgsim.session import (
    AuthKey,
    DecryptError,
    OutgoingState,
    decrypt,
    encrypt,
    packet_key_id,
    unique_id,
)
from tgsim.tlkit import LAYER, TLError, mk, parse_object, serialize_result, tl
from tgsim.transport import Transport, TransportError

if TYPE_CHECKING:
    from tgsim.hub import Hub

RPC_RESULT = 0xF35C6D01
RPC_ERROR = 0x2144CA19
GZIP_PACKED = 0x3072CFA1
WRAPPERS = {
    "InvokeWithLayerRequest",
    "InitConnectionRequest",
    "InvokeWithoutUpdatesRequest",
    "InvokeAfterMsgRequest",
    "InvokeAfterMsgsRequest",
    "InvokeWithTakeoutRequest",
    "InvokeWithMessagesRangeRequest",
}
IGNORED = {
    "MsgsAck",
    "MsgResendReq",
    "MsgsAllInfo",
    "MsgsStateInfo",
    "MsgDetailedInfo",
    "MsgNewDetailedInfo",
    "HttpWaitRequest",
    "HttpWait",
}
REPLAY_WINDOW = 500  # recent client msg_ids remembered to drop replays
_conn_ids = itertools.count(1)


class Dropped(Exception):
    """The connection is being closed on purpose (fault or protocol error)."""


class Connection:
    """Serves one TCP client until it disconnects."""

    def __init__(
        self, hub: Hub, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.hub = hub
        self.reader = reader
        self.writer = writer
        self.id = next(_conn_ids)
        self.key: AuthKey | None = None
        self.no_updates = False
        self.session_id: int | None = None
        self.out: OutgoingState | None = None
        self.transport: Transport | None = None
        self._handshake: Handshake | None = None
        self._queue: asyncio.Queue[tuple[bytes, bool, bool]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ping_timer: asyncio.TimerHandle | None = None
        self._seen: deque[int] = deque(maxlen=REPLAY_WINDOW)
        self.log = hub.log.bind(conn=self.id)

    # lifecycle

    async def run(self) -> None:
        """Serve until EOF, a protocol error or a drop."""
        writer_task: asyncio.Task[None] | None = None
        try:
            self.transport = await Transport.accept(self.reader, self.writer)
            self.log.debug("connected", transport=self.transport.name)
            writer_task = asyncio.create_task(self._writer())
            while True:
                packet = await self.transport.read_packet()
                await self._on_packet(packet)
        except (asyncio.IncompleteReadError, ConnectionError, Dropped):
            self.log.debug("disconnected")
        except (TransportError, HandshakeError, DecryptError) as exc:
            self.log.info("protocol error, closing", error=str(exc))
        except Exception:  # one broken connection must not take the server down
            self.log.exception("connection failed")
        finally:
            self.hub.connections.discard(self)
            if self._ping_timer is not None:
                self._ping_timer.cancel()
            for task in list(self._tasks):
                task.cancel()
            if writer_task is not None:
                writer_task.cancel()
            self.close()

    def close(self) -> None:
        """Close the TCP connection (no more updates are pushed to it)."""
        self.hub.connections.discard(self)
        if not self.writer.is_closing():
            self.writer.close()

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # outgoing

    def push(self, updates: Any) -> None:
        """Queue a server-initiated Updates object."""
        if self._older_layer():
            updates = as_older_layer(updates)
        self._queue.put_nowait((bytes(updates), True, False))

    def _older_layer(self) -> bool:
        """Whether this client gets answers of an older layer (quirk ``layer``)."""
        return self.hub.quirks.older_layer_for(self.key.layer if self.key is not None else 0)

    def _send(self, body: bytes, *, content: bool = True, answer: bool = True) -> None:
        self._queue.put_nowait((body, content, answer))

    async def _writer(self) -> None:
        assert self.transport is not None
        while True:
            body, content, answer = await self._queue.get()
            if self.key is None or self.out is None or self.session_id is None:
                continue
            msg_id = self.out.next_msg_id(answer)
            seqno = self.out.next_seqno(content)
            inner = struct.pack("<qii", msg_id, seqno, len(body)) + body
            packet = encrypt(self.key, self.key.salt, self.session_id, inner)
            try:
                await self.transport.write_packet(packet)
            except (ConnectionError, RuntimeError):
                self.close()
                return

    # incoming

    async def _on_packet(self, packet: bytes) -> None:
        assert self.transport is not None
        key_id = packet_key_id(packet)
        if key_id == 0:
            if self._handshake is None:
                self._handshake = Handshake(self.hub.server_key)
            # RSA and 2048-bit DH arithmetic: keep it off the event loop.
            answer = await asyncio.to_thread(self._handshake.handle, unframe_plain(packet))
            await self.transport.write_packet(frame_plain(bytes(answer)))
            if self._handshake.result is not None:
                auth_key, salt = self._handshake.result
                new_key = AuthKey(auth_key, salt)
                self.hub.keys[new_key.key_id] = new_key
                self.hub.keys_changed()
                self._handshake = None
                self.log.info("auth key created")
            return
        key = self.hub.keys.get(key_id)
        if key is None:
            await self.transport.write_error(404)
            raise Dropped
        inc = decrypt(key, packet)
        self.key = key
        self.hub.connections.add(self)
        if inc.session_id != self.session_id:
            self.session_id = inc.session_id
            self.out = OutgoingState(inc.session_id)
            self._seen.clear()
            self._send(
                bytes(
                    mk(
                        tl.NewSessionCreated,
                        first_msg_id=inc.msg_id,
                        unique_id=unique_id(),
                        server_salt=key.salt,
                    )
                ),
                answer=False,
            )
        msg_time = inc.msg_id >> 32
        now = time.time()
        if msg_time < now - 300 or msg_time > now + 30:
            code = 16 if msg_time < now - 300 else 17
            self._send(
                bytes(
                    mk(
                        tl.BadMsgNotification,
                        bad_msg_id=inc.msg_id,
                        bad_msg_seqno=inc.seqno,
                        error_code=code,
                    )
                ),
                content=False,
            )
            return
        if inc.msg_id in self._seen:
            self.log.info("replayed msg_id ignored", msg_id=inc.msg_id)
            return
        if inc.salt != key.salt:
            self._send(
                bytes(
                    mk(
                        tl.BadServerSalt,
                        bad_msg_id=inc.msg_id,
                        bad_msg_seqno=inc.seqno,
                        error_code=48,
                        new_server_salt=key.salt,
                    )
                ),
                content=False,
            )
            return
        try:
            obj = parse_object(inc.body)
        except TypeNotFoundError as exc:
            # A constructor of another layer: answer an error instead of dropping.
            self.log.warning("unknown constructor", constructor=f"{exc.invalid_constructor_id:08x}")
            self._send_error(inc.msg_id, 400, "INPUT_CONSTRUCTOR_INVALID")
            return
        self._seen.append(inc.msg_id)
        self._handle(inc.msg_id, obj)

    def _handle(self, msg_id: int, obj: Any) -> None:
        name = type(obj).__name__
        if name == "MessageContainer":
            for inner in obj.messages:
                self._handle(inner.msg_id, inner.obj)
        elif name == "GzipPacked":
            self._handle(msg_id, parse_object(obj.data))
        elif name in IGNORED:
            return
        elif name in ("PingRequest", "PingDelayDisconnectRequest"):
            self._send(bytes(mk(tl.Pong, msg_id=msg_id, ping_id=obj.ping_id)))
            if name == "PingDelayDisconnectRequest":
                self._arm_ping_timer(obj.disconnect_delay)
        elif name == "GetFutureSaltsRequest":
            # Inside rpc_result: Telethon 1.36 matches a bare future_salts by the
            # wrong msg_id and would wait forever; every version reads rpc_result.
            self._send(struct.pack("<Iq", RPC_RESULT, msg_id) + self._future_salts(msg_id, obj.num))
        elif name == "DestroySessionRequest":
            self._send(bytes(mk(tl.DestroySessionOk, session_id=obj.session_id)))
        elif name == "DestroyAuthKeyRequest":
            if self.key is not None:
                self.hub.keys.pop(self.key.key_id, None)
                self.hub.keys_changed()
            self._send(bytes(mk(tl.DestroyAuthKeyOk)))
        elif name == "MsgsStateReq":
            info = bytes([1]) * len(obj.msg_ids)
            self._send(bytes(mk(tl.MsgsStateInfo, req_msg_id=msg_id, info=info)), content=False)
        elif isinstance(obj, TLRequest):
            self._spawn(self._rpc(msg_id, obj))
        else:
            self.log.debug("ignored message", type=name)

    def _arm_ping_timer(self, delay: int) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        self._ping_timer = asyncio.get_running_loop().call_later(max(delay, 1), self.close)

    def _future_salts(self, msg_id: int, num: int) -> bytes:
        assert self.key is not None
        now = int(time.time())
        salts = [
            mk(tl.FutureSalt, valid_since=now - 60 + i * 3600, valid_until=now + (i + 1) * 3600,
               salt=self.key.salt)
            for i in range(max(1, min(num, 64)))
        ]
        return bytes(mk(tl.FutureSalts, req_msg_id=msg_id, now=now, salts=salts))

    # RPC

    def _unwrap(self, req: Any) -> Any:
        while type(req).__name__ in WRAPPERS:
            name = type(req).__name__
            if name == "InvokeWithLayerRequest" and self.key is not None:
                served = self.hub.quirks.layer or LAYER
                if req.layer != served and self.key.layer != req.layer:
                    self.log.warning(
                        "client layer differs; run tgsim with the client's Telethon",
                        client_layer=req.layer,
                        server_layer=served,
                    )
                self.key.layer = req.layer
            elif name == "InvokeWithoutUpdatesRequest":
                self.no_updates = True
            req = req.query
        return req

    async def _rpc(self, msg_id: int, wrapped: Any) -> None:
        assert self.key is not None
        req = self._unwrap(wrapped)
        qname = qualname(req)
        names = (type(req).__name__, qname)
        offset = getattr(req, "offset", None) if qname == "upload.GetFileRequest" else None
        fault = self.hub.faults.take(names, self.key.user_id, offset=offset)
        try:
            if isinstance(fault, tuple):
                self.log.info("fault: slow", request=qname, seconds=fault[1])
                await asyncio.sleep(fault[1])
            elif fault in ("drop", "drop_mid_download"):
                self.log.info("fault: dropping connection", request=qname, fault=fault)
                self.close()
                return
            elif fault is not None:
                self.log.info("fault: error", request=qname, error=fault)
                if fault == "FILE_REFERENCE_EXPIRED" and qname == "upload.GetFileRequest":
                    self._expire_reference(req)
                raise TLError(error_code(fault), fault)
            ctx = Ctx(self.hub, self.key, self.id)
            result = await self.hub.registry.dispatch(ctx, req)
            if self._older_layer():
                result = as_older_layer(result)
            body = serialize_result(result)
        except TLError as err:
            self.log.debug("rpc error", request=qname, error=err.message)
            self._send_error(msg_id, err.code, err.message)
            return
        except Exception:  # a server bug must still answer, never hang the client
            self.log.exception("rpc handler failed", request=qname)
            self._send_error(msg_id, 500, "INTERNAL")
            return
        self._send(struct.pack("<Iq", RPC_RESULT, msg_id) + _maybe_gzip(body))

    def _send_error(self, msg_id: int, code: int, message: str) -> None:
        self._send(
            struct.pack("<Iq", RPC_RESULT, msg_id)
            + struct.pack("<Ii", RPC_ERROR, code)
            + TLObject.serialize_bytes(message)
        )

    def _expire_reference(self, req: Any) -> None:
        loc = req.location
        kind = "photo" if type(loc).__name__ == "InputPhotoFileLocation" else "document"
        f = self.hub.files.get((kind, getattr(loc, "id", 0)))
        if f is not None:
            f.expire_reference()


def _maybe_gzip(body: bytes) -> bytes:
    """Wrap a mid-sized result in gzip_packed when that makes it smaller, as Telegram does."""
    if not 512 < len(body) < 128 * 1024:
        return body
    wrapped = struct.pack("<I", GZIP_PACKED) + TLObject.serialize_bytes(
        gzip.compress(body, compresslevel=6, mtime=0)
    )
    return wrapped if len(wrapped) < len(body) else body
