"""The ledger's origin is fixed at ``chanwatch init``: read it back from the
signing key, refuse a setting that contradicts it.

``init`` names the signing key after ``ledger.origin`` (``--origin`` or asked);
every later command takes the origin from that key, so it need not be set
again. A ``ledger.origin`` setting (``CHANWATCH_LEDGER__ORIGIN``) that differs
from the key's is a clear error, never silently ignored: the origin of a ledger
never changes (its checkpoints name it).
"""

from __future__ import annotations

from pathlib import Path

from monitor.settings import Settings
from storage.errors import InvalidInput

_PREFIX = "PRIVATE+KEY+"


class OriginChanged(InvalidInput):
    """``ledger.origin`` differs from the origin the ledger was created with."""


def key_origin(path: Path) -> str | None:
    """The name (origin) a signing key file was made for; None when there is no
    readable key (commands that need the key say so themselves)."""
    try:
        line = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not line.startswith(_PREFIX):
        return None
    name, sep, _rest = line[len(_PREFIX) :].partition("+")
    return name if sep and name else None


def with_ledger_origin(settings: Settings) -> Settings:
    """``settings`` with ``ledger.origin`` taken from the signing key, when there is one."""
    ledger = settings.ledger
    origin = key_origin(ledger.signing_key_file)
    if origin is None or origin == ledger.origin:
        return settings
    if "origin" in ledger.model_fields_set:
        raise OriginChanged(
            f"ledger.origin is {ledger.origin!r} but this ledger was created with origin "
            f"{origin!r} (signing key {ledger.signing_key_file}); the origin of a ledger "
            "never changes: unset CHANWATCH_LEDGER__ORIGIN (ledger.origin) or set it to "
            f"{origin!r}"
        )
    return settings.model_copy(update={"ledger": ledger.model_copy(update={"origin": origin})})
