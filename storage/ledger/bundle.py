"""The evidence bundle's format (``chanwatch-evidence-bundle/2``): its member
names, the manifest and its signature, shared by the exporter
(:mod:`storage.ledger.export`) and the verifier (:mod:`storage.ledger.verify`).

Byte-level definitions (the README's evidence section repeats them for a
verifier written from the RFCs alone):

- ``records.jsonl``: the selected records, each line exactly the canonical
  bytes hashed into the ledger, then ``\\n``; ledger order; the last line is
  this export's ``export`` record.
- ``selection_sha256``: SHA-256 over the concatenated 32-byte leaf hashes
  (``SHA-256(0x00 || line)``) of every line of ``records.jsonl`` but the last
  (the export record), in file order; lower-case hex.
- ``manifest.json``: a JSON object (UTF-8, every value a string, an object or
  null) with what the bundle claims: ``format``, ``origin``, ``key`` (the
  ledger's vkey), ``case``, ``selection`` (``rule``, ``from``, ``to``),
  ``records`` (lines in records.jsonl), ``first_seq``, ``last_seq``,
  ``export_seq``, ``selection_sha256``, ``checkpoint`` (``size``, ``root`` hex),
  ``timestamp`` (null, or ``file``, ``imprint_sha256``, ``time``, ``tsa``),
  ``exported_by``, ``exported_at`` and ``files``: for every other member but
  ``manifest.sig``, ``{"bytes": DECIMAL, "sha256": HEX}``.
- ``manifest.sig``: a C2SP signed note by the ledger key whose text is the two
  lines ``chanwatch-evidence-manifest/2`` and ``sha256 <hex of manifest.json>``.
  The second line is never a decimal number, so the note can never be taken for
  a checkpoint.
- ``checkpoint.tsr`` (only when the checkpoint was timestamped): the RFC 3161
  TimeStampResp (DER) of the TSA; its message imprint is SHA-256 over the
  checkpoint as the ledger signed it: ``checkpoint.txt`` up to and including
  its first signature line (the lines after it are witness cosignatures).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.ledger import canonical
from storage.ledger.note import SIG_PREFIX

BUNDLE_FORMAT = "chanwatch-evidence-bundle/2"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
TIMESTAMP = "checkpoint.tsr"
MANIFEST_CONTEXT = "chanwatch-evidence-manifest/2"

#: Members every bundle has (besides the manifest and its signature).
REQUIRED = ("records.jsonl", "proofs.jsonl", "checkpoint.txt", "public_key.txt",
            "consistency.jsonl", "records.csv", "report.html", "report.pdf")
#: Every name a bundle may hold.
KNOWN = frozenset((*REQUIRED, TIMESTAMP, MANIFEST, MANIFEST_SIG))


def selection_digest(leaf_hashes: Iterable[bytes]) -> str:
    """SHA-256 over the selected records' leaf hashes, in order (hex)."""
    h = hashlib.sha256()
    for leaf in leaf_hashes:
        h.update(leaf)
    return h.hexdigest()


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as written: JSON, keys sorted, two-space indent, a final newline
    (integers written as strings, as in ledger records)."""
    value = canonical.normalize(manifest)
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def manifest_note_text(manifest: bytes) -> str:
    """The text ``manifest.sig`` signs for these manifest bytes."""
    return f"{MANIFEST_CONTEXT}\nsha256 {hashlib.sha256(manifest).hexdigest()}\n"


def stamped_note(checkpoint_txt: str) -> str:
    """The part of ``checkpoint.txt`` a timestamp covers: the checkpoint as the
    ledger signed it, i.e. up to and including the first signature line."""
    cut = checkpoint_txt.find("\n\n")
    if cut < 0:
        return checkpoint_txt
    end = checkpoint_txt.find("\n", cut + 2)
    first = checkpoint_txt[cut + 2 : end if end >= 0 else None]
    if not first.startswith(SIG_PREFIX) or end < 0:
        return checkpoint_txt
    return checkpoint_txt[: end + 1]


@dataclass(frozen=True, slots=True)
class Claims:
    """What a bundle's manifest claims, checked for form (not yet for truth)."""

    case: str
    origin: str
    key: str
    rule: str
    date_from: str | None
    date_to: str | None
    records: int
    first_seq: int
    last_seq: int
    export_seq: int
    selection_sha256: str
    checkpoint_size: int
    checkpoint_root: str
    timestamp: dict[str, str] | None
    files: dict[str, tuple[int, str]]


def _text(obj: Mapping[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is not a non-empty string")
    return value


def _number(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if (not isinstance(value, str) or not value.isdigit() or len(value) > 19
            or (len(value) > 1 and value.startswith("0"))):
        raise ValueError(f"{key} is not a decimal number in a string")
    return int(value)


def _hex(obj: Mapping[str, Any], key: str) -> str:
    value = _text(obj, key)
    assert value is not None
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"{key} is not 64 lower-case hex digits")
    return value


def _object(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"{key} is not an object")
    return value


def parse_claims(manifest: Any) -> Claims:
    """The claims of a parsed ``manifest.json``; ValueError names the bad field."""
    if not isinstance(manifest, dict):
        raise ValueError("not a JSON object")
    fmt = manifest.get("format")
    if fmt != BUNDLE_FORMAT:
        raise ValueError(f"format is {fmt!r}, not {BUNDLE_FORMAT!r} (a bundle of another "
                         "version, or not an evidence bundle)")
    selection = _object(manifest, "selection")
    checkpoint = _object(manifest, "checkpoint")
    stamp = manifest.get("timestamp")
    timestamp: dict[str, str] | None = None
    if stamp is not None:
        if not isinstance(stamp, dict):
            raise ValueError("timestamp is neither null nor an object")
        timestamp = {k: str(_text(stamp, k)) for k in ("file", "time", "tsa")}
        timestamp["imprint_sha256"] = _hex(stamp, "imprint_sha256")
    files: dict[str, tuple[int, str]] = {}
    for name, entry in _object(manifest, "files").items():
        if not isinstance(entry, dict):
            raise ValueError(f"files.{name} is not an object")
        files[name] = (_number(entry, "bytes"), _hex(entry, "sha256"))
    return Claims(
        case=str(_text(manifest, "case")), origin=str(_text(manifest, "origin")),
        key=str(_text(manifest, "key")), rule=str(_text(selection, "rule")),
        date_from=_text(selection, "from", optional=True),
        date_to=_text(selection, "to", optional=True),
        records=_number(manifest, "records"), first_seq=_number(manifest, "first_seq"),
        last_seq=_number(manifest, "last_seq"), export_seq=_number(manifest, "export_seq"),
        selection_sha256=_hex(manifest, "selection_sha256"),
        checkpoint_size=_number(checkpoint, "size"), checkpoint_root=_hex(checkpoint, "root"),
        timestamp=timestamp, files=files,
    )
