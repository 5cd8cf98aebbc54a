"""Hashing of media held in memory: SHA-256/MD5/SHA-1, PDQ of images, vPDQ of
videos and animations. Pure functions (no database, no Telethon); the CPU-heavy
ones are synchronous and have ``*_async`` wrappers that run in a thread.
"""

from handlers.hashing.media import MediaHashes, crypto_hashes, hash_media, hash_media_async, sniff
from handlers.hashing.pdq import (
    ImageDecodeError,
    PdqResult,
    hamming_hex,
    is_pdq_hex,
    pdq_image,
    pdq_image_dihedral,
)
from handlers.hashing.vpdq import (
    VpdqFrame,
    VpdqMatch,
    VpdqPolicy,
    VpdqThresholds,
    VpdqVerdict,
    decode_frames,
    encode_frames,
    match_frames,
)

__all__ = [
    "ImageDecodeError",
    "MediaHashes",
    "PdqResult",
    "VpdqFrame",
    "VpdqMatch",
    "VpdqPolicy",
    "VpdqThresholds",
    "VpdqVerdict",
    "crypto_hashes",
    "decode_frames",
    "encode_frames",
    "hamming_hex",
    "hash_media",
    "hash_media_async",
    "is_pdq_hex",
    "match_frames",
    "pdq_image",
    "pdq_image_dihedral",
    "sniff",
]
