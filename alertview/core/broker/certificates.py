"""A throwaway certificate authority for the embedded broker's TLS listener.

The ``kafka`` engine's SASL_SSL listener needs a server certificate that
clients can verify the way they verify Rubin's: against a CA file, with the
host name checked. We make a CA and a server certificate for ``localhost`` and
``127.0.0.1`` with ``cryptography`` (no keytool, no openssl command), keep the
CA certificate and the server's key and chain as PEM files, and drop the CA's
key: nothing can sign another certificate with it afterwards.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from alertview.core.private_files import write_private

#: Long enough that a broker's --data folder never sees its certificate expire.
VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class ServerTLS:
    """Where the PEM files are: what clients trust, what the server presents."""

    ca_file: Path
    #: The server's private key (PKCS#8) followed by its certificate and the CA's.
    keystore_file: Path

    def exists(self) -> bool:
        return self.ca_file.is_file() and self.keystore_file.is_file()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "AlertView embedded broker"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    # A day of slack before now: a clock a little behind still accepts the certificate.
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def make_server_tls(
    folder: Path, hosts: tuple[str, ...] = ("localhost",), ips: tuple[str, ...] = ("127.0.0.1",)
) -> ServerTLS:
    """Write ``ca.pem`` and ``server.pem`` (key and chain) into ``folder``, mode 0600.

    EC P-256 keys: generated in milliseconds, and both Java's TLS and OpenSSL take them.
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("AlertView embedded broker CA")
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(host) for host in hosts]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    cert = (
        _builder(_name(hosts[0] if hosts else ips[0]), ca_name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    tls = ServerTLS(folder / "ca.pem", folder / "server.pem")
    # Kafka's PEM key store takes an unencrypted key only in PKCS#8 form.
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(tls.keystore_file, private + cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    write_private(tls.ca_file, ca_cert.public_bytes(pem))
    return tls
