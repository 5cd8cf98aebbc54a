"""The evidence ledger's nested settings: ``[ledger.timestamp]`` (an RFC 3161
Time-Stamp Authority for checkpoints) and ``[ledger.verify]`` (how much of an
untrusted bundle ``chanwatch evidence verify`` reads).

:class:`~monitor.settings_sections.LedgerSettings` holds them; the storage
layer never sees these classes, only the plain values they hand on
(:func:`bundle_limits`, :mod:`monitor.ledger`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.settings_values import ByteSize, Duration
from storage.ledger.bundle_zip import BundleLimits

_DEFAULTS = BundleLimits()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimestampSettings(_Section):
    """Optional RFC 3161 timestamps of every signed checkpoint (off by default)."""

    #: The TSA's URL (HTTP POST of an ``application/timestamp-query``).
    url: str | None = None
    #: PEM file with the CA certificate(s) the TSA's certificate must chain to:
    #: tokens are checked against it when received and by ``evidence verify``.
    ca_file: Path | None = None
    #: Seconds the TSA has to answer.
    timeout: Duration = timedelta(seconds=10)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("ca_file")
    @classmethod
    def _pem(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        try:
            x509.load_pem_x509_certificates(path.read_bytes())
        except OSError as err:
            raise ValueError(f"{path}: {err.strerror}") from None
        except ValueError:
            raise ValueError(f"{path}: no PEM certificate in it") from None
        return path

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(minutes=5):
            raise ValueError("must be between 1s and 5m")
        return value

    @model_validator(mode="after")
    def _ca_with_url(self) -> TimestampSettings:
        if self.url is not None and self.ca_file is None:
            raise ValueError("url is set but ca_file is not: a token cannot be checked "
                             "without the TSA's CA certificate")
        return self


class VerifySettings(_Section):
    """Limits of ``chanwatch evidence verify`` on a bundle it did not make; a
    bundle that crosses one is NOT VERIFIED with the limit named."""

    #: The bundle ZIP file itself.
    max_bundle_bytes: ByteSize = Field(default=_DEFAULTS.max_bundle_bytes, ge=1)
    #: One file inside it, unpacked (records.jsonl of a million records: ~0.4 GB,
    #: proofs.jsonl: ~1.3 GB).
    max_member_bytes: ByteSize = Field(default=_DEFAULTS.max_member_bytes, ge=1)
    #: All files together, unpacked.
    max_unpacked_bytes: ByteSize = Field(default=_DEFAULTS.max_unpacked_bytes, ge=1)
    #: manifest.json, manifest.sig and public_key.txt, each.
    max_manifest_bytes: ByteSize = Field(default=_DEFAULTS.max_manifest_bytes, ge=1024)
    #: Files in the ZIP.
    max_members: int = Field(default=_DEFAULTS.max_members, ge=12, le=10_000)
    #: Unpacked size over packed size, for files above 1 MiB (real bundles: under 10).
    max_ratio: int = Field(default=_DEFAULTS.max_ratio, ge=2, le=100_000)
    #: Nesting of JSON objects and arrays in the manifest, records and proofs.
    max_json_depth: int = Field(default=_DEFAULTS.max_json_depth, ge=4, le=500)


def bundle_limits(section: VerifySettings) -> BundleLimits:
    """The verifier's limits as the storage layer takes them."""
    return BundleLimits(
        max_bundle_bytes=section.max_bundle_bytes,
        max_member_bytes=section.max_member_bytes,
        max_unpacked_bytes=section.max_unpacked_bytes,
        max_manifest_bytes=section.max_manifest_bytes,
        max_members=section.max_members,
        max_ratio=section.max_ratio,
        max_json_depth=section.max_json_depth,
        setting_prefix="ledger.verify.",
    )
