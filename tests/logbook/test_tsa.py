"""RFC 3161 time-stamping (archipel/logbook/tsa.py): tokens `openssl ts -verify` accepts."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest
from logbook_support import tsa_server

from archipel.logbook.tsa import (
    CERTIFICATE_FILE,
    KEY_FILE,
    HttpTsa,
    LocalTsa,
    TimestampError,
    TokenInvalid,
    ensure_local_tsa,
    read_token,
    token_of_response,
    verify_token,
)

ROOT = hashlib.sha512(b"a Merkle root").digest()


@pytest.fixture(scope="module")
def tsa_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tsa")
    ensure_local_tsa(directory)
    return directory


@pytest.fixture(scope="module")
def authority(tsa_dir: Path) -> LocalTsa:
    return LocalTsa(tsa_dir)


def openssl_verify(
    token: bytes, digest: bytes, certificate: Path, tmp_path: Path
) -> subprocess.CompletedProcess:
    (tmp_path / "token.der").write_bytes(token)
    command = [
        "openssl",
        "ts",
        "-verify",
        "-digest",
        digest.hex(),
        "-token_in",
        "-in",
        str(tmp_path / "token.der"),
    ]
    return subprocess.run([*command, "-CAfile", str(certificate)], capture_output=True, text=True)


def test_init_makes_a_private_key_only_its_owner_reads_and_keeps_it(tmp_path: Path) -> None:
    assert ensure_local_tsa(tmp_path / "tsa")
    key = (tmp_path / "tsa" / KEY_FILE).read_bytes()
    assert stat.S_IMODE(os.stat(tmp_path / "tsa" / KEY_FILE).st_mode) == 0o600
    assert not ensure_local_tsa(tmp_path / "tsa")  # idempotent: the same key stays
    assert (tmp_path / "tsa" / KEY_FILE).read_bytes() == key


def test_a_local_token_passes_openssl_ts_verify_for_its_root_only(
    authority: LocalTsa, tsa_dir: Path, tmp_path: Path
) -> None:
    token = authority.timestamp(ROOT)
    certificate = tsa_dir / CERTIFICATE_FILE
    verified = openssl_verify(token, ROOT, certificate, tmp_path)
    assert verified.returncode == 0 and "Verification: OK" in verified.stdout, verified.stderr
    other = openssl_verify(token, hashlib.sha512(b"another root").digest(), certificate, tmp_path)
    assert other.returncode != 0


def test_verify_token_checks_root_signature_and_signer(authority: LocalTsa, tmp_path: Path) -> None:
    token = authority.timestamp(ROOT)
    info = verify_token(token, ROOT, [authority.certificate])
    assert info.imprint == ROOT and info.imprint_algorithm == "sha512"
    with pytest.raises(TokenInvalid, match="imprint"):
        verify_token(token, hashlib.sha512(b"x").digest(), [authority.certificate])
    ensure_local_tsa(tmp_path / "other")
    with pytest.raises(TokenInvalid, match="not a trusted authority"):
        verify_token(token, ROOT, [LocalTsa(tmp_path / "other").certificate])
    signature = bytearray(token)
    signature[-10] ^= 0x01  # the last bytes are the signature's
    with pytest.raises(TokenInvalid, match="signature"):
        verify_token(bytes(signature), ROOT, [authority.certificate])


def test_an_external_authority_is_asked_over_http(authority: LocalTsa) -> None:
    with tsa_server(authority) as url:
        token = HttpTsa(url, [authority.certificate]).timestamp(ROOT)
    info = verify_token(token, ROOT, [authority.certificate])
    assert info.nonce is not None  # the client's nonce came back in the token
    assert read_token(token).serial == info.serial


def test_an_external_authority_not_trusted_or_unreachable_gives_no_token(
    authority: LocalTsa, tmp_path: Path
) -> None:
    ensure_local_tsa(tmp_path / "other")
    with tsa_server(authority) as url, pytest.raises(TokenInvalid, match="not a trusted authority"):
        HttpTsa(url, [LocalTsa(tmp_path / "other").certificate]).timestamp(ROOT)
    with pytest.raises(TimestampError, match="unreachable"):
        HttpTsa(url, [authority.certificate], timeout=5).timestamp(ROOT)  # the server is closed now


def test_a_refused_request_is_reported_with_the_authoritys_reason(authority: LocalTsa) -> None:
    with pytest.raises(TimestampError, match="refused"):
        token_of_response(authority.respond(b"not a request"))


def test_the_local_authority_answers_an_openssl_made_request(
    authority: LocalTsa, tsa_dir: Path, tmp_path: Path
) -> None:
    query = tmp_path / "request.tsq"
    made = ["openssl", "ts", "-query", "-digest", ROOT.hex(), "-sha512", "-cert", "-out", str(query)]
    subprocess.run(made, check=True, capture_output=True)
    (tmp_path / "reply.tsr").write_bytes(authority.respond(query.read_bytes()))
    checked = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-queryfile",
            str(query),
            "-in",
            str(tmp_path / "reply.tsr"),
            "-CAfile",
            str(tsa_dir / CERTIFICATE_FILE),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr
