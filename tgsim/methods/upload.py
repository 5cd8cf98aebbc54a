"""upload.getFile, with Telegram's alignment rules and file references.

Without ``precise``: offset and limit divisible by 4096, 1 MiB divisible by
limit, limit at most 1 MiB. With ``precise``: both divisible by 1024 and the
part within one 1 MiB block. Violations get LIMIT_INVALID / OFFSET_INVALID.
"""

from __future__ import annotations

import time
from typing import Any

from tgsim.rpc import Ctx, Handler
from tgsim.tlkit import TLError, mk, tl

MIB = 1024 * 1024


def check_part(offset: int, limit: int, precise: bool) -> None:
    """Raise the RPC error Telegram gives for a badly aligned part."""
    if limit <= 0 or limit > MIB:
        raise TLError(400, "LIMIT_INVALID")
    if precise:
        if offset % 1024 or offset < 0:
            raise TLError(400, "OFFSET_INVALID")
        if limit % 1024 or offset // MIB != (offset + limit - 1) // MIB:
            raise TLError(400, "LIMIT_INVALID")
        return
    if offset % 4096 or offset < 0:
        raise TLError(400, "OFFSET_INVALID")
    if limit % 4096 or MIB % limit:
        raise TLError(400, "LIMIT_INVALID")


async def get_file(ctx: Ctx, req: Any) -> Any:
    loc = req.location
    name = type(loc).__name__
    if name == "InputPhotoFileLocation":
        kind = "photo"
    elif name == "InputDocumentFileLocation":
        kind = "document"
    else:
        raise TLError(400, "LOCATION_INVALID")
    f = ctx.hub.files.get((kind, loc.id))
    if f is None or f.access_hash != loc.access_hash:
        raise TLError(400, "LOCATION_INVALID")
    if loc.file_reference != f.file_reference:
        raise TLError(400, "FILE_REFERENCE_EXPIRED")
    check_part(req.offset, req.limit, bool(req.precise))
    data = f.content(loc.thumb_size or "")
    if data is None:
        raise TLError(400, "LOCATION_INVALID")
    part = data[req.offset : req.offset + req.limit]
    file_type = mk(tl.storage.FileJpeg) if kind == "photo" else mk(tl.storage.FilePartial)
    return mk(tl.upload.File, type=file_type, mtime=int(time.time()), bytes=part)


HANDLERS: dict[str, Handler] = {"upload.GetFileRequest": get_file}
PUBLIC: set[str] = set()
