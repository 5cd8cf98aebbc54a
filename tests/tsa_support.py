"""A real RFC 3161 Time-Stamp Authority on loopback for tests: ``openssl ts -reply``
behind a small HTTP responder, with a CA and TSA certificates made in the test.

``Tsa.mode`` changes what it answers: ``"ok"``; ``"other-imprint"`` (a valid
token, but for other bytes than were asked); ``"refuse"`` (HTTP 500).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.now(UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


@dataclass
class Ca:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    pem: Path


def make_ca(folder: Path, cn: str = "Test TSA Root") -> Ca:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=30)).not_valid_after(NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    pem = folder / "ca.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Ca(key, cert, pem)


def make_tsa_cert(folder: Path, ca: Ca, *, expired: bool = False,
                  cn: str = "Test TSA") -> tuple[Path, Path]:
    """The TSA's key and certificate (critical EKU id-kp-timeStamping), signed by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = ((NOW - timedelta(days=20), NOW - timedelta(days=1)) if expired
                  else (NOW - timedelta(days=1), NOW + timedelta(days=365)))
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .sign(ca.key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / "tsa.key", folder / "tsa.pem"
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5.6
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class Tsa:
    folder: Path
    ca: Ca
    url: str = ""
    mode: str = "ok"
    requests: int = 0
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def reply(self, query: bytes) -> bytes:
        """``openssl ts -reply`` for a DER TimeStampReq."""
        self.requests += 1
        q = self.folder / f"q{self.requests}.tsq"
        r = self.folder / f"r{self.requests}.tsr"
        if self.mode == "other-imprint":
            other = self.folder / "other.txt"
            other.write_bytes(b"some other bytes")
            subprocess.run(["openssl", "ts", "-query", "-data", str(other), "-sha256", "-cert",
                            "-out", str(q)], check=True, capture_output=True)
        else:
            q.write_bytes(query)
        subprocess.run(["openssl", "ts", "-reply", "-config", str(self.folder / "ts.cnf"),
                        "-queryfile", str(q), "-out", str(r)], check=True, capture_output=True)
        return r.read_bytes()


def make_tsa(folder: Path, ca: Ca | None = None, *, expired: bool = False) -> Tsa:
    """A TSA's files: its CA (a new one unless given), its key and certificate, config."""
    ca = ca or make_ca(folder)
    if ca.pem.parent != folder:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ca.pem").write_bytes(ca.pem.read_bytes())
    make_tsa_cert(folder, ca, expired=expired)
    (folder / "tsaserial").write_text("01\n")
    (folder / "ts.cnf").write_text(_CONFIG.format(dir=folder))
    return Tsa(folder, ca)


@contextmanager
def serve(tsa: Tsa) -> Iterator[Tsa]:
    """Answer POSTed timestamp queries on 127.0.0.1 (``tsa.url``) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if tsa.mode == "refuse":
                self.send_response(500)
                self.end_headers()
                return
            answer = tsa.reply(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tsa.url = f"http://127.0.0.1:{server.server_address[1]}/tsr"
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a TSA that is down)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsr"
