"""TLS servers and certificates for tests of mutual TLS: a server that requires a
client certificate and records whose it verified (it speaks no Kafka after the
handshake: what is tested is that the client presents its certificate)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import uuid
from pathlib import Path

from alertview.core.broker.certificates import make_server_tls
from alertview.core.private_files import write_private


def client_certificate(folder: Path, key_password: bytes) -> tuple[Path, Path, Path]:
    """A CA, and a client certificate it signed with an encrypted key: (ca, cert, key)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = dt.datetime.now(dt.UTC)
    ca_name = f"client CA {uuid.uuid4().hex[:8]}"

    def builder(subject: str, issuer: str, key) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
        )  # fmt: skip

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        builder(ca_name, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        builder("alice", ca_name, key)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = folder / "client-ca.pem", folder / "client.pem", folder / "client.key"
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    encryption = serialization.BestAvailableEncryption(key_password)
    write_private(paths[2], key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption))
    return paths


class ClientCertificateServer:
    """A TLS server that requires a client certificate from the client CA, and keeps the
    common name of each client certificate it verified (it speaks no Kafka after that)."""

    def __init__(self, folder: Path, client_ca: Path) -> None:
        tls = make_server_tls(folder)
        self.ca_file = tls.ca_file
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(tls.keystore_file)
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.load_verify_locations(client_ca)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.bootstrap = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.clients: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with (
                contextlib.suppress(OSError),
                client,
                self.context.wrap_socket(client, server_side=True) as tls,
            ):
                subject = dict(item[0] for item in tls.getpeercert()["subject"])
                self.clients.append(subject["commonName"])

    def close(self) -> None:
        """Stop serving, and wait for the serving thread (shutdown wakes its accept)."""
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self._thread.join(5)
