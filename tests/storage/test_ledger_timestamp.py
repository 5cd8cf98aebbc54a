"""RFC 3161 timestamps of checkpoints against a real local TSA (``openssl ts -reply``
behind an HTTP responder, CA and TSA certificates made in the test): accepted
tokens that ``openssl ts -verify`` accepts too, and one clear refusal for a token
for another imprint, an untrusted or expired TSA certificate, a TSA that is down,
a refusing TSA and garbage."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tsa_support import closed_port_url, make_ca, make_tsa, serve

from storage.ledger.timestamp import TimestampError, Tsa, check, load_roots, request

NOTE = b"chanwatch.test/ledger\n3\nq1aRMA/EvQ6dn2Dp/y5dz4CBJ9P2xUcu6NJlTrYWMYk=\n"


def openssl_verify(tmp_path: Path, response: bytes, data: bytes, ca: Path) -> str:
    (tmp_path / "r.tsr").write_bytes(response)
    (tmp_path / "data").write_bytes(data)
    done = subprocess.run(["openssl", "ts", "-verify", "-in", str(tmp_path / "r.tsr"), "-data",
                           str(tmp_path / "data"), "-CAfile", str(ca)],
                          capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def test_a_token_is_accepted_and_openssl_agrees(tmp_path: Path) -> None:
    """The TSA's token for the bytes is accepted (time, TSA name, serial) and
    `openssl ts -verify` says Verification: OK for the same bytes and CA."""
    tsa = make_tsa(tmp_path / "tsa")
    with serve(tsa):
        response, info = request(Tsa(tsa.url, load_roots(tsa.ca.pem)), NOTE)
    assert info.tsa == "CN=Test TSA" and info.serial >= 1
    assert check(response, NOTE, (tsa.ca.cert,)).time == info.time
    assert "Verification: OK" in openssl_verify(tmp_path, response, NOTE, tsa.ca.pem)
    assert "Verification: OK" not in openssl_verify(tmp_path, response, NOTE + b"x", tsa.ca.pem)


def test_a_token_for_another_imprint_is_refused(tmp_path: Path) -> None:
    """A TSA that answers with a valid token for other bytes is caught at once."""
    tsa = make_tsa(tmp_path / "tsa")
    tsa.mode = "other-imprint"
    with serve(tsa), pytest.raises(TimestampError, match="the token is for another imprint"):
        request(Tsa(tsa.url, (tsa.ca.cert,)), NOTE)


def test_an_untrusted_tsa_is_refused(tmp_path: Path) -> None:
    """A token from a TSA whose CA is not the configured one is not accepted; a token
    accepted under its own CA is refused under another."""
    tsa = make_tsa(tmp_path / "tsa")
    stranger = make_ca(tmp_path / "stranger", cn="Another Root")
    with serve(tsa):
        with pytest.raises(TimestampError, match="not trusted at the token's time"):
            request(Tsa(tsa.url, (stranger.cert,)), NOTE)
        response, _ = request(Tsa(tsa.url, (tsa.ca.cert,)), NOTE)
    with pytest.raises(TimestampError, match=r"not trusted at the token's time .*: unable to get"):
        check(response, NOTE, (stranger.cert,))


def test_an_expired_tsa_certificate_is_refused(tmp_path: Path) -> None:
    """A TSA whose certificate had expired when it stamped: refused, reason named."""
    tsa = make_tsa(tmp_path / "tsa", expired=True)
    with serve(tsa), pytest.raises(TimestampError, match="certificate has expired"):
        request(Tsa(tsa.url, (tsa.ca.cert,)), NOTE)


def test_tsa_down_refusing_or_talking_garbage(tmp_path: Path) -> None:
    """Down, HTTP 500, not a TSA response, no CA file: each one line, never a traceback."""
    tsa = make_tsa(tmp_path / "tsa")
    with pytest.raises(TimestampError, match="TSA unreachable"):
        request(Tsa(closed_port_url(), (tsa.ca.cert,), timeout=2), NOTE)
    tsa.mode = "refuse"
    with serve(tsa), pytest.raises(TimestampError, match="TSA answered HTTP 500"):
        request(Tsa(tsa.url, (tsa.ca.cert,)), NOTE)
    with pytest.raises(TimestampError, match="not an RFC 3161 timestamp response"):
        check(b"\x30\x03\x02\x01\x00garbage", NOTE, (tsa.ca.cert,))
    with pytest.raises(TimestampError, match=r"TSA CA file .*: cannot read it"):
        load_roots(tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    with pytest.raises(TimestampError, match="no PEM certificate"):
        load_roots(tmp_path / "junk.pem")
    with pytest.raises(TimestampError, match="not http"):
        request(Tsa("ftp://tsa.example/", (tsa.ca.cert,)), NOTE)
