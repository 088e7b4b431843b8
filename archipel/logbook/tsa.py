"""RFC 3161 time-stamping: a local authority made at init, an external one over HTTP, and checking tokens.

A securing seals a Merkle root; the time-stamp token is a third party's signed statement
that this root existed at that time (OAIS "fixity" plus "when"), checkable by anyone with
`openssl ts -verify`. The token's message imprint is the root itself: a SHA-512 digest of
the tree, so the imprint's algorithm is SHA-512 and its hashed message the 64 root bytes.

- `LocalTsa`: the embedded default. `archipel init` creates an RSA key (file mode 0600)
  and a self-signed certificate, critical extended key usage `timeStamping`, under
  `$ARCHIPEL_HOME/tsa/`. It proves *integrity since the securing* (nobody without the key
  can forge a token); it does not prove the time to a third party, since the instance
  keeps the key: production configures an external, qualified TSA (`tsa_url`).
- `HttpTsa`: RFC 3161 §3.4 over HTTP (`application/timestamp-query`), with a nonce and
  `certReq`, checked on receipt like any token.
- `verify_token`: signature, ESS signing-certificate binding, message imprint, and trust
  (the signer is a trusted certificate, or is directly issued by one), in Python with
  `cryptography` and `asn1crypto` — the same checks `openssl ts -verify` makes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from archipel.core.errors import ArchipelError, ConfigurationError
from archipel.core.settings import Settings

KEY_FILE = "tsa-key.pem"
CERTIFICATE_FILE = "tsa-certificate.pem"
POLICY = "1.3.6.1.4.1.57264.1.1"
"""The policy the local TSA states in its tokens (an Archipel-local OID arc, for this instance)."""
KEY_BITS = 3072
VALIDITY = timedelta(days=365 * 100)
"""A self-signed local authority that expired would make every token of the instance
unverifiable; an external TSA's certificate expiry is its own policy's business."""
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TimestampError(ArchipelError):
    """A token could not be obtained, or does not hold what it must."""

    code = "TIMESTAMP_ERROR"


class TokenInvalid(TimestampError):
    """A token whose signature, imprint or signer does not check."""

    code = "TOKEN_INVALID"


class TimestampAuthority(Protocol):
    """Whoever signs time-stamp tokens for this instance."""

    name: str

    def timestamp(self, digest: bytes) -> bytes:
        """A DER time-stamp token (CMS ContentInfo) over a SHA-512 digest."""
        ...


@dataclass(frozen=True)
class TokenInfo:
    """What a token states, for reports and securing files."""

    gen_time: datetime
    serial: int
    policy: str
    imprint_algorithm: str
    imprint: bytes
    nonce: int | None
    signer: str


# -- the local authority ------------------------------------------------------------------


def ensure_local_tsa(directory: Path, name: str = "Archipel local time-stamping authority") -> bool:
    """Creates the local TSA's key and certificate if missing (idempotent); True if it made them.

    The key is written first with mode 0600 and the certificate last, so a crash between
    the two leaves a key without certificate, which the next init replaces.
    """
    key_path, certificate_path = directory / KEY_FILE, directory / CERTIFICATE_FILE
    if key_path.is_file() and certificate_path.is_file():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    os.chmod(key_path, 0o600)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Archipel"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA512())
    )
    partial = certificate_path.with_name(certificate_path.name + ".part")
    partial.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    partial.replace(certificate_path)
    return True


class LocalTsa:
    """The instance's own time-stamping authority (see the module doc for what it proves)."""

    name = "local"

    def __init__(self, directory: Path) -> None:
        key_path, certificate_path = directory / KEY_FILE, directory / CERTIFICATE_FILE
        if not (key_path.is_file() and certificate_path.is_file()):
            raise TimestampError(f"no local time-stamping authority in {directory}: run `archipel init`")
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TimestampError(f"{key_path}: the local TSA key must be an RSA key")
        self._key = key
        self.certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())

    def timestamp(self, digest: bytes, nonce: int | None = None) -> bytes:
        """A token over a SHA-512 digest, signed now."""
        if len(digest) != 64:
            raise TimestampError("the local TSA stamps SHA-512 digests (64 bytes)")
        return self._sign("sha512", digest, nonce).dump()

    def respond(self, request: bytes) -> bytes:
        """An RFC 3161 TimeStampResp to a DER TimeStampReq: what an HTTP TSA answers."""
        try:
            query = tsp.TimeStampReq.load(request)
            imprint = query["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            nonce = query["nonce"].native
        except (ValueError, TypeError, KeyError) as error:
            return _rejection("bad_data_format", f"not a time-stamp request: {error}")
        if algorithm not in _HASHES or len(digest) != _HASHES[algorithm].digest_size:
            return _rejection("bad_alg", f"unsupported digest {algorithm}")
        token = self._sign(algorithm, digest, nonce)
        return _TimeStampResp(
            {"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token}
        ).dump()

    def _sign(self, algorithm: str, digest: bytes, nonce: int | None) -> cms.ContentInfo:
        certificate = asn1_x509.Certificate.load(self.certificate.public_bytes(serialization.Encoding.DER))
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": POLICY,
                "message_imprint": tsp.MessageImprint(
                    {
                        "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                        "hashed_message": digest,
                    }
                ),
                "serial_number": int.from_bytes(secrets.token_bytes(16), "big"),
                "gen_time": datetime.now(UTC).replace(microsecond=0),
                "accuracy": tsp.Accuracy({"seconds": 1}),
                "nonce": nonce,
                "tsa": asn1_x509.GeneralName(name="directory_name", value=certificate.subject),
            }
        )
        content = info.dump()
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    tsp.ESSCertIDv2(
                        {
                            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha512"}),
                            "cert_hash": hashlib.sha512(certificate.dump()).digest(),
                            "issuer_serial": tsp.IssuerSerial(
                                {
                                    "issuer": [
                                        asn1_x509.GeneralName(name="directory_name", value=certificate.issuer)
                                    ],
                                    "serial_number": certificate.serial_number,
                                }
                            ),
                        }
                    )
                ]
            }
        )
        signed_attributes = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
                cms.CMSAttribute(
                    {"type": "signing_time", "values": [cms.Time({"utc_time": info["gen_time"].native})]}
                ),
                cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha512(content).digest()]}),
                cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
            ]
        )
        signature = self._key.sign(signed_attributes.dump(), padding.PKCS1v15(), hashes.SHA512())
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value=cms.IssuerAndSerialNumber(
                        {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                    ),
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha512"}),
                "signed_attrs": signed_attributes,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha512_rsa"}),
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha512"})],
                "encap_content_info": cms.EncapsulatedContentInfo(
                    {"content_type": "tst_info", "content": cms.ParsableOctetString(content)}
                ),
                "certificates": [cms.CertificateChoices(name="certificate", value=certificate)],
                "signer_infos": [signer],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})


class _TimeStampResp(core.Sequence):
    """RFC 3161 §2.4.2 TimeStampResp, whose token is OPTIONAL (asn1crypto's requires it)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _rejection(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo({"status": "rejection", "status_string": [text], "fail_info": {failure}})
    return _TimeStampResp({"status": status}).dump()


# -- an external authority over HTTP ------------------------------------------------------


class HttpTsa:
    """An external RFC 3161 authority reached over HTTP (RFC 3161 §3.4)."""

    def __init__(self, url: str, trusted: Sequence[x509.Certificate], timeout: float = 30.0) -> None:
        self.name = url
        self.url = url
        self.trusted = list(trusted)
        self.timeout = timeout

    def timestamp(self, digest: bytes) -> bytes:
        nonce = int.from_bytes(secrets.token_bytes(8), "big")
        query = tsp.TimeStampReq(
            {
                "version": "v1",
                "message_imprint": tsp.MessageImprint(
                    {
                        "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha512"}),
                        "hashed_message": digest,
                    }
                ),
                "nonce": nonce,
                "cert_req": True,
            }
        ).dump()
        request = urllib.request.Request(
            self.url, data=query, method="POST", headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except (urllib.error.URLError, OSError) as error:
            raise TimestampError(f"time-stamping authority {self.url} unreachable: {error}") from error
        token = token_of_response(body)
        info = verify_token(token, digest, self.trusted)
        if info.nonce != nonce:
            raise TokenInvalid(f"{self.url} answered with a token for another request (nonce)")
        return token


def token_of_response(body: bytes) -> bytes:
    """The token of a TimeStampResp, or why the authority refused."""
    try:
        response = _TimeStampResp.load(body)
        status = response["status"]["status"].native
    except (ValueError, TypeError, KeyError) as error:
        raise TimestampError(f"not a time-stamp response: {error}") from error
    if status not in ("granted", "granted_with_mods"):
        reason = response["status"]["status_string"].native or []
        raise TimestampError(f"the time-stamping authority refused ({status}): {'; '.join(reason)}")
    return response["time_stamp_token"].dump()


# -- reading and verifying tokens ---------------------------------------------------------


def _signed_data(token: bytes) -> cms.SignedData:
    try:
        info = cms.ContentInfo.load(token)
        if info["content_type"].native != "signed_data":
            raise TokenInvalid("a time-stamp token is CMS SignedData")
        signed = info["content"]
        if signed["encap_content_info"]["content_type"].native != "tst_info":
            raise TokenInvalid("the token does not encapsulate a TSTInfo")
        return signed
    except (ValueError, TypeError, KeyError) as error:
        raise TokenInvalid(f"not a time-stamp token: {error}") from error


def read_token(token: bytes) -> TokenInfo:
    """What a token states, without checking it."""
    signed = _signed_data(token)
    try:
        info = signed["encap_content_info"]["content"].parsed
        imprint = info["message_imprint"]
        tsa = info["tsa"]
        return TokenInfo(
            gen_time=info["gen_time"].native,
            serial=info["serial_number"].native,
            policy=info["policy"].dotted,
            imprint_algorithm=imprint["hash_algorithm"]["algorithm"].native,
            imprint=imprint["hashed_message"].native,
            nonce=info["nonce"].native,
            signer=tsa.chosen.human_friendly if tsa.native is not None else "",
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise TokenInvalid(f"unreadable TSTInfo: {error}") from error


def verify_token(token: bytes, digest: bytes, trusted: Sequence[x509.Certificate]) -> TokenInfo:
    """Checks a token covers `digest` and is signed by a trusted authority; what it states.

    Raises `TokenInvalid` naming the first check that fails.
    """
    signed = _signed_data(token)
    info = read_token(token)
    if info.imprint_algorithm != "sha512" or info.imprint != digest:
        raise TokenInvalid("the token's message imprint is not this root")
    if len(signed["signer_infos"]) != 1:
        raise TokenInvalid("a time-stamp token has exactly one signer")
    signer = signed["signer_infos"][0]
    certificate = _signer_certificate(signed, signer)
    attributes = {attribute["type"].native: attribute["values"][0] for attribute in signer["signed_attrs"]}
    content = signed["encap_content_info"]["content"].contents
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TokenInvalid(f"unsupported signature digest {digest_name}")
    if attributes.get("content_type") is None or attributes["content_type"].native != "tst_info":
        raise TokenInvalid("the signed content type is not TSTInfo")
    if (
        attributes.get("message_digest") is None
        or attributes["message_digest"].native != hashlib.new(digest_name, content).digest()
    ):
        raise TokenInvalid("the signature does not cover this TSTInfo (message digest)")
    _check_ess_binding(attributes, certificate)
    _check_signature(certificate, signer, digest_name)
    _check_trust(certificate, trusted, info.gen_time)
    return info


def _signer_certificate(signed: cms.SignedData, signer: cms.SignerInfo) -> x509.Certificate:
    sid = signer["sid"]
    for choice in signed["certificates"] or []:
        candidate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                candidate.issuer == wanted["issuer"]
                and candidate.serial_number == wanted["serial_number"].native
            ):
                return x509.load_der_x509_certificate(candidate.dump())
        elif candidate.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(candidate.dump())
    raise TokenInvalid("the token does not carry its signer's certificate")


def _check_ess_binding(attributes: dict[str, core.Asn1Value], certificate: x509.Certificate) -> None:
    """RFC 5816/2634: the signed attributes name the signer's certificate by its hash."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    if "signing_certificate_v2" in attributes:
        for cert_id in attributes["signing_certificate_v2"]["certs"]:
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            if algorithm in _HASHES and cert_id["cert_hash"].native == hashlib.new(algorithm, der).digest():
                return
    elif "signing_certificate" in attributes:
        for cert_id in attributes["signing_certificate"]["certs"]:
            if cert_id["cert_hash"].native == hashlib.sha1(der).digest():
                return
    raise TokenInvalid("the signed attributes do not name the signer's certificate")


def _check_signature(certificate: x509.Certificate, signer: cms.SignerInfo, digest_name: str) -> None:
    data = signer["signed_attrs"].untag().dump()
    signature = signer["signature"].native
    key = certificate.public_key()
    algorithm = _HASHES[digest_name]()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            raise TokenInvalid(f"unsupported signer key {type(key).__name__}")
    except InvalidSignature as error:
        raise TokenInvalid("the token's signature does not verify") from error


def _check_trust(certificate: x509.Certificate, trusted: Sequence[x509.Certificate], when: datetime) -> None:
    """The signer is a trusted certificate or directly issued by one, for time-stamping, valid then."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound as error:
        raise TokenInvalid("the signer's certificate is not for time-stamping") from error
    if ExtendedKeyUsageOID.TIME_STAMPING not in usage:
        raise TokenInvalid("the signer's certificate is not for time-stamping")
    if not certificate.not_valid_before_utc <= when <= certificate.not_valid_after_utc:
        raise TokenInvalid("the token was signed outside its certificate's validity")
    if certificate in trusted:
        return
    for anchor in trusted:
        try:
            certificate.verify_directly_issued_by(anchor)
            return
        except (ValueError, TypeError, InvalidSignature):
            continue
    raise TokenInvalid(f"the signer {certificate.subject.rfc4514_string()} is not a trusted authority")


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


# -- chosen by the settings ---------------------------------------------------------------


def trusted_certificates(settings: Settings) -> list[x509.Certificate]:
    """Who may sign this instance's tokens: the local TSA, and the certificates configured.

    The local TSA stays trusted after a switch to an external one, so the tokens it
    signed before still verify.
    """
    trusted = []
    local = settings.tsa_dir / CERTIFICATE_FILE
    if local.is_file():
        trusted += load_certificates(local.read_bytes())
    if settings.tsa_certificates is not None:
        if not settings.tsa_certificates.is_file():
            raise ConfigurationError(f"tsa_certificates: no such file {settings.tsa_certificates}")
        trusted += load_certificates(settings.tsa_certificates.read_bytes())
    return trusted


def timestamp_authority(settings: Settings) -> TimestampAuthority:
    """The external TSA when `tsa_url` is set, else the local one made at init."""
    if settings.tsa_url:
        trusted = trusted_certificates(settings)
        if not trusted:
            raise ConfigurationError(
                "tsa_url is set: tsa_certificates must name the certificates it signs with"
            )
        return HttpTsa(settings.tsa_url, trusted, settings.tsa_timeout)
    return LocalTsa(settings.tsa_dir)
