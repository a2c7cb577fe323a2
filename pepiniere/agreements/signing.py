"""How an agreement is signed, behind one interface.

The platform's own implementation (`PlatformSigner`, the default) records an advanced-enough
*simple* electronic signature for each party (the logged-in account, the identity and title it
declares, explicit consent, time, IP address and the SHA-256 of the exact PDF shown), then seals
the fully signed PDF with a PAdES signature made with pyHanko, so that any PDF reader shows the
file signed and unchanged.

A qualified e-signature provider (a QTSP: Yousign, Docusign, Universign…) replaces it by
implementing `Signer` and naming the class in the ``AGREEMENT_SIGNER`` setting
(``PEPINIERE_AGREEMENT_SIGNER``): its ``evidence`` returns what the provider attests for one
signature (its transaction id, the signer's verified identity) and its ``seal`` returns the PDF
the provider signed. The services call nothing else.

The sealing certificate is a PKCS#12 file (``PEPINIERE_SIGNING_P12`` and
``PEPINIERE_SIGNING_P12_PASSWORD``). Without one (the demo, the tests), a self-signed certificate
is made on the fly with `cryptography` and kept under ``var/signing/``: the seal then proves the
file is unchanged, not who sealed it (a reader shows the signer as unknown until it trusts that
certificate)."""

from __future__ import annotations

import datetime
import io
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SignatureRequest:
    """One party signing one version: who, as what, and the PDF they were shown."""

    version_id: int
    side: str  # SignatureSide
    account_email: str
    declared_name: str
    declared_title: str
    pdf_sha256: str
    ip_address: str | None
    user_agent: str


class Signer(Protocol):
    """What the agreements services need from a signature process."""

    method: str  # stored on every Signature row ("platform" for the in-platform signature)

    def evidence(self, request: SignatureRequest) -> dict[str, Any]:
        """What this process attests for one party's signature (stored with it). May refuse by
        raising ValueError with a message for the signatory."""
        ...

    def seal(self, pdf: bytes, *, reason: str, location: str) -> bytes:
        """The fully signed PDF, signed (PAdES) so that its integrity can be checked."""
        ...


class PlatformSigner:
    """The in-platform signature: evidence recorded by the platform, seal with our certificate."""

    method = "platform"

    def evidence(self, request: SignatureRequest) -> dict[str, Any]:
        return {}

    def seal(self, pdf: bytes, *, reason: str, location: str) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(
            field_name="SceauPepiniere",
            reason=reason[:200],
            location=location[:100] or None,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = signers.PdfSigner(meta, signer=_pdf_signer()).sign_pdf(writer)
        return bytes(out.getvalue())


def get_signer() -> Signer:
    signer: Signer = import_string(settings.AGREEMENT_SIGNER)()
    return signer


# --- the sealing certificate ------------------------------------------------------------------


@cache
def _pdf_signer() -> Any:
    from pyhanko.sign import signers

    if settings.SIGNING_P12:
        password = settings.SIGNING_P12_PASSWORD.encode() or None
        loaded = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
            settings.SIGNING_P12, passphrase=password
        )
        if loaded is None:
            raise ValueError(f"cannot read the signing certificate {settings.SIGNING_P12}")
        return loaded
    key_path, cert_path = self_signed_files()
    loaded = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
        str(key_path), str(cert_path), key_passphrase=None
    )
    if loaded is None:
        raise ValueError(f"cannot read the self-signed certificate under {key_path.parent}")
    return loaded


def signing_certificate_der() -> bytes:
    """The sealing certificate (DER), e.g. the trust root to validate a seal against."""
    return bytes(_pdf_signer().signing_cert.dump())


def self_signed_files() -> tuple[Path, Path]:
    """The demo's self-signed key and certificate (PEM), made once and kept under var/signing/."""
    folder = Path(settings.SIGNING_SELF_SIGNED_DIR)
    key_path, cert_path = folder / "seal-key.pem", folder / "seal-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    folder.mkdir(parents=True, exist_ok=True)
    key_pem, cert_pem = _make_self_signed()
    # Written beside then renamed: two processes making it at once each leave a whole pair.
    suffix = secrets.token_hex(4)
    for path, data in ((key_path, key_pem), (cert_path, cert_pem)):
        temporary = path.with_suffix(f".{suffix}.tmp")
        temporary.write_bytes(data)
        temporary.chmod(0o600)
    os.replace(key_path.with_suffix(f".{suffix}.tmp"), key_path)
    os.replace(cert_path.with_suffix(f".{suffix}.tmp"), cert_path)
    return key_path, cert_path


def _make_self_signed() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Pépinière — sceau de démonstration"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pépinière"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        ]
    )
    # Valid from 2000: the demo seals agreements dated 2015.
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(datetime.datetime(2099, 12, 31, tzinfo=datetime.UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def validate_seal(pdf: bytes, *, trust_root_der: bytes | None = None) -> Any:
    """pyHanko's validation of the PDF's last signature (PdfSignatureStatus: .intact, .valid,
    .trusted, .coverage), against the sealing certificate (or `trust_root_der`) as trust root."""
    import asn1crypto.x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    root = asn1crypto.x509.Certificate.load(trust_root_der or signing_certificate_der())
    reader = PdfFileReader(io.BytesIO(pdf))
    if not reader.embedded_signatures:
        raise ValueError("the PDF carries no signature")
    context = ValidationContext(trust_roots=[root])
    return validate_pdf_signature(reader.embedded_signatures[-1], context)
