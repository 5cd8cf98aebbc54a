"""RFC 3161 trusted timestamps of signed checkpoints (client and checker).

The ASN.1 is rfc3161-client's (Trail of Bits; the request builder, the
response parser and the CMS/chain verification); this module only sends the
request and says in one line why a token is not accepted.

- The request (``application/timestamp-query``, HTTP POST) asks for a SHA-256
  imprint of the stamped bytes, with a nonce and the TSA's certificate.
- A token is accepted only when its status is granted, its imprint is SHA-256
  (or SHA-384/512) of exactly the stamped bytes, and its CMS signature verifies
  under a certificate with the critical ``id-kp-timeStamping`` key usage that
  chains to one of the configured CA certificates, valid at the token's time.

What is stamped (:func:`storage.ledger.bundle.stamped_note`): the checkpoint
as the ledger signed it (its text, the blank line and the ledger's signature
line), so the token shows that this signed tree head existed at its time.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from storage.errors import ChanwatchError

MAX_RESPONSE = 1 << 20
_HASHES = {
    "2.16.840.1.101.3.4.2.1": hashlib.sha256,
    "2.16.840.1.101.3.4.2.2": hashlib.sha384,
    "2.16.840.1.101.3.4.2.3": hashlib.sha512,
}


class TimestampError(ChanwatchError):
    """No token, or a token that is not accepted; ``str()`` says why in one line."""


@dataclass(frozen=True, slots=True)
class Tsa:
    """Where to ask for timestamps and which CA certificates to trust."""

    url: str
    roots: tuple[x509.Certificate, ...]
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class TokenInfo:
    time: datetime
    tsa: str
    serial: int


def load_roots(path: Path) -> tuple[x509.Certificate, ...]:
    """The CA certificates (PEM) a TSA's certificate must chain to."""
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise TimestampError(f"TSA CA file {path}: cannot read it ({exc.strerror})") from None
    except ValueError:
        raise TimestampError(f"TSA CA file {path}: no PEM certificate in it") from None
    return tuple(certs)


def _signer_name(resp: TimeStampResponse) -> str:
    infos = list(resp.signed_data.signer_infos)
    for der in resp.signed_data.certificates:
        cert = x509.load_der_x509_certificate(der)
        if infos and (cert.issuer, cert.serial_number) == (infos[0].issuer,
                                                           infos[0].serial_number):
            return cert.subject.rfc4514_string()
    return "unknown TSA"


def _reason(exc: Exception) -> str:
    """The readable part of a verification error (OpenSSL's error stack is long)."""
    text = " ".join(str(exc).split())
    found = re.findall(r'Verify error: ([^"]+)"', text)
    if found:
        return str(found[-1])
    return text if len(text) <= 200 else text[:200] + "..."


def check(response: bytes, data: bytes, roots: tuple[x509.Certificate, ...],
          nonce: int | None = None) -> TokenInfo:
    """Accept ``response`` (a DER TimeStampResp) as a timestamp of ``data``
    under ``roots``, or raise :class:`TimestampError`."""
    try:
        resp = decode_timestamp_response(response)
        status = resp.status
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"not an RFC 3161 timestamp response ({exc})") from None
    if status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        text = "; ".join(resp.status_string) or f"status {status}"
        raise TimestampError(f"the TSA refused: {text}")
    info = resp.tst_info
    imprint = info.message_imprint
    algorithm = _HASHES.get(imprint.hash_algorithm.dotted_string)
    if algorithm is None:
        raise TimestampError(f"the token's hash algorithm {imprint.hash_algorithm.dotted_string} "
                             "is not SHA-256, SHA-384 or SHA-512")
    expected = algorithm(data).digest()
    if imprint.message != expected:
        raise TimestampError(f"the token is for another imprint ({imprint.message.hex()}), not "
                             f"for these bytes ({expected.hex()})")
    if nonce is not None and info.nonce != nonce:
        raise TimestampError("the token's nonce is not the request's")
    if not roots:
        raise TimestampError("no TSA CA certificate to check the token against")
    builder = VerifierBuilder(roots=list(roots))
    try:
        builder.build().verify(resp, expected)
    except VerificationError as exc:
        raise TimestampError(f"the token's signature or TSA certificate is not trusted at the "
                             f"token's time {info.gen_time.isoformat()}: {_reason(exc)}") from None
    return TokenInfo(info.gen_time.astimezone(UTC), _signer_name(resp), info.serial_number)


def request(tsa: Tsa, data: bytes) -> tuple[bytes, TokenInfo]:
    """Ask ``tsa`` to stamp ``data`` (blocking); the checked response and its facts."""
    if not tsa.url.startswith(("http://", "https://")):
        raise TimestampError(f"TSA URL {tsa.url!r} is not http(s)")
    req = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
           .nonce(nonce=True).cert_request(cert_request=True).build())
    http = urllib.request.Request(  # noqa: S310 - scheme checked above
        tsa.url, data=req.as_bytes(), method="POST",
        headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(http, timeout=tsa.timeout) as answer:  # noqa: S310
            body = answer.read(MAX_RESPONSE + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"TSA answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TimestampError(f"TSA unreachable: {reason}") from None
    if len(body) > MAX_RESPONSE:
        raise TimestampError(f"TSA answer larger than {MAX_RESPONSE} bytes")
    return body, check(body, data, tsa.roots, req.nonce)
