"""Photos, documents and upload.getFile rules (tgsim/methods/upload.py)."""

from __future__ import annotations

import hashlib
import os

import pytest
from telethon import errors
from telethon.tl import functions, types
from tgsim_support import ClientFactory

from tgsim import Server


async def test_photo_download_is_largest_size(
    sim: Server, new_client: ClientFactory, jpeg: bytes
) -> None:
    """download_media of a photo returns exactly the server's largest re-encoded size."""
    ch = await sim.create_channel("Photos", username="photos_ch")
    msg_id = await sim.post(ch, text="a photo", photo=jpeg)
    client = await new_client(1)
    msg = await client.get_messages(await client.get_entity("photos_ch"), ids=msg_id)
    assert isinstance(msg.media, types.MessageMediaPhoto)
    sizes = [s for s in msg.photo.sizes if isinstance(s, types.PhotoSize)]
    assert [s.type for s in sizes] == ["s", "m", "x", "y"]
    assert (sizes[-1].w, sizes[-1].h) == (1000, 700)
    data = await client.download_media(msg, bytes)
    stored = sim.hub.files[("photo", msg.photo.id)].sizes[-1].data
    assert data == stored
    assert data != jpeg  # Telegram recompresses; the original bytes are not served
    assert data[:2] == b"\xff\xd8"
    thumb = await client.download_media(msg, bytes, thumb=0)
    assert thumb == sim.hub.files[("photo", msg.photo.id)].sizes[0].data


async def test_5_mib_document_is_byte_exact(sim: Server, new_client: ClientFactory) -> None:
    """A 5 MiB document downloads byte for byte, in 4 KiB-aligned parts."""
    payload = os.urandom(5 * 1024 * 1024 + 4321)
    ch = await sim.create_channel("Docs", username="docs_ch")
    msg_id = await sim.post(ch, document=(payload, "report.pdf", "application/pdf"))
    client = await new_client(1)
    msg = await client.get_messages(await client.get_entity("docs_ch"), ids=msg_id)
    assert msg.file.name == "report.pdf" and msg.file.mime_type == "application/pdf"
    assert msg.file.size == len(payload)
    data = await client.download_media(msg, bytes)
    assert hashlib.sha256(data).digest() == hashlib.sha256(payload).digest()


async def test_video_and_animation_attributes(sim: Server, new_client: ClientFactory) -> None:
    """Videos and GIF animations carry the attributes Telethon uses to classify them."""
    gif = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    ch = await sim.create_channel("Clips", username="clips_ch")
    vid = await sim.post(ch, video=b"\x00\x00\x00\x18ftypmp42" + bytes(1000), width=640,
                         height=360, duration=2.5)
    ani = await sim.post(ch, animation=gif)
    client = await new_client(1)
    entity = await client.get_entity("clips_ch")
    video, animation = await client.get_messages(entity, ids=[vid, ani])
    assert video.video is not None and video.file.width == 640 and video.file.duration == 2.5
    assert animation.gif is not None and animation.file.mime_type == "image/gif"
    assert await client.download_media(animation, bytes) == gif


async def test_misaligned_parts_are_rejected(sim: Server, new_client: ClientFactory) -> None:
    """upload.getFile enforces Telegram's offset/limit alignment rules."""
    ch = await sim.create_channel("Rules", username="rules_ch")
    msg_id = await sim.post(ch, document=(os.urandom(10000), "a.bin", "application/octet-stream"))
    client = await new_client(1)
    msg = await client.get_messages(await client.get_entity("rules_ch"), ids=msg_id)
    doc = msg.media.document
    loc = types.InputDocumentFileLocation(doc.id, doc.access_hash, doc.file_reference, "")
    ok = await client(functions.upload.GetFileRequest(loc, 4096, 4096))
    assert len(ok.bytes) == 4096
    with pytest.raises(errors.LimitInvalidError):
        await client(functions.upload.GetFileRequest(loc, 0, 1000))
    with pytest.raises(errors.LimitInvalidError):
        await client(functions.upload.GetFileRequest(loc, 0, 3 * 4096))
    with pytest.raises(errors.LimitInvalidError):
        await client(functions.upload.GetFileRequest(loc, 0, 2 * 1024 * 1024))
    with pytest.raises(errors.OffsetInvalidError):
        await client(functions.upload.GetFileRequest(loc, 100, 4096))
    precise = await client(functions.upload.GetFileRequest(loc, 1024, 2048, precise=True))
    assert precise.bytes == sim.hub.files[("document", doc.id)].data[1024:3072]


async def test_expired_reference_is_refreshed_by_refetch(
    sim: Server, new_client: ClientFactory, jpeg: bytes
) -> None:
    """An expired photo reference fails with FileReferenceExpiredError until a re-fetch."""
    ch = await sim.create_channel("Refs", username="refs_ch")
    msg_id = await sim.post(ch, photo=jpeg)
    client = await new_client(1)
    entity = await client.get_entity("refs_ch")
    msg = await client.get_messages(entity, ids=msg_id)
    sim.expire_file_references(ch, msg_id)
    with pytest.raises(errors.FileReferenceExpiredError):
        await client.download_media(msg, bytes)
    fresh = await client.get_messages(entity, ids=msg_id)
    assert fresh.photo.file_reference != msg.photo.file_reference
    assert await client.download_media(fresh, bytes)
