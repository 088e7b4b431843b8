"""Securing the logbooks (traçabilité): Merkle root, RFC 3161 token, securing file on every offer."""

from __future__ import annotations

import base64
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from logbook_support import ingest, tsa_server
from sqlalchemy import select

from archipel.core.digests import sha512_bytes
from archipel.core.errors import Conflict, NotFound
from archipel.logbook import chain
from archipel.logbook.lifecycle import lifecycle
from archipel.logbook.merkle import merkle_root, verify_entry_proof
from archipel.logbook.securing import (
    LOGBOOK_SECURING,
    SecuringResult,
    entry_proof_of,
    pending_links,
    secure,
    securings,
)
from archipel.logbook.service import OperationLog
from archipel.logbook.tsa import (
    CERTIFICATE_FILE,
    LocalTsa,
    TimestampError,
    TokenInvalid,
    ensure_local_tsa,
    verify_token,
)
from archipel.logbook.verification import verify_logbooks
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.storage import layout
from archipel.storage.model import PendingWrite


def securing_file(platform: Platform, tenant: int, number: int) -> tuple[bytes, dict]:
    copies = []
    for offer in platform.storage.offers:
        with offer.open(layout.securing_key(tenant, number)) as stream:
            copies.append(stream.read())
    assert len(set(copies)) == 1  # the same bytes on every offer
    return copies[0], json.loads(copies[0])


def test_securing_seals_every_new_entry_under_a_time_stamped_root_on_every_offer(
    platform: Platform, tmp_path: Path
) -> None:
    operation_id = ingest(platform)
    with platform.database.unit_of_work() as session:
        pending = pending_links(session, 1)
    result = secure(platform, 1)
    assert (result.number, result.entries) == (1, len(pending))
    data, document = securing_file(platform, 1, 1)
    assert document["entries"] == [
        {
            "kind": link.kind,
            "chain": link.chain,
            "position": link.position,
            "entry": link.entry,
            "hash": link.hash,
        }
        for link in pending
    ]
    assert operation_id in {entry["entry"] for entry in document["entries"]}
    assert document["merkle"]["root"] == result.root == merkle_root([link.hash for link in pending])
    assert document["previous_securing"] is None
    assert {span["kind"] for span in document["chains"]} == set(chain.ENTRY_KINDS)
    with platform.database.unit_of_work() as session:
        (record,) = securings(session, 1)
        operation = OperationLog(session, 1).get(result.operation_id)
        assert (operation.type, operation.outcome) == (LOGBOOK_SECURING, "OK")
        assert record.sha512 == sha512_bytes(data) and record.root == result.root

    token = tmp_path / "token.der"
    token.write_bytes(base64.b64decode(document["timestamp"]["token"]))
    command = ["openssl", "ts", "-verify", "-digest", result.root, "-token_in", "-in", str(token)]
    checked = subprocess.run(
        [*command, "-CAfile", str(platform.settings.tsa_dir / CERTIFICATE_FILE)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stderr


def test_nothing_new_since_the_last_securing_is_a_no_op(platform: Platform) -> None:
    ingest(platform)
    assert secure(platform, 1).number == 1
    again = secure(platform, 1)  # only the securing's own operation is new: nothing to secure
    assert again == SecuringResult(
        None, 0, None, None, "nothing to secure in tenant 1 since the last securing"
    )
    with platform.database.unit_of_work() as session:
        assert len(securings(session, 1)) == 1
        assert len(OperationLog(session, 1).operations(type_=LOGBOOK_SECURING)) == 1


def test_the_next_securing_names_the_previous_and_covers_only_what_came_after(platform: Platform) -> None:
    ingest(platform)
    first = secure(platform, 1)
    data, earlier = securing_file(platform, 1, 1)
    later_ingest = ingest(platform)
    second = secure(platform, 1)
    _, document = securing_file(platform, 1, 2)
    assert document["previous_securing"] == {
        "number": 1,
        "key": layout.securing_key(1, 1),
        "sha512": sha512_bytes(data),
    }
    entries = {entry["entry"] for entry in document["entries"]}
    assert later_ingest in entries and first.operation_id in entries  # the first securing is itself secured
    assert not entries & {entry["entry"] for entry in earlier["entries"]}
    last_of = {span["chain"]: span for span in earlier["chains"]}
    for span in document["chains"]:
        if span["chain"] in last_of:
            assert (span["from"], span["previous"]) == (
                last_of[span["chain"]]["to"] + 1,
                last_of[span["chain"]]["last"],
            )
    assert second.number == 2


def test_each_tenant_secures_its_own_logbooks(platform: Platform) -> None:
    ingest(platform, 1)
    result = secure(platform, 2)
    _, document = securing_file(platform, 2, 1)
    with platform.database.unit_of_work() as session:
        mine = {link.entry for link in pending_links(session, 1)}
    assert result.number == 1 and not mine & {entry["entry"] for entry in document["entries"]}


def test_the_merkle_proof_of_an_entry_leads_to_the_secured_root(platform: Platform) -> None:
    operation_id = ingest(platform)
    with pytest.raises(NotFound, match="not secured yet"):
        entry_proof_of(platform, 1, operation_id)
    result = secure(platform, 1)
    proof = entry_proof_of(platform, 1, operation_id)
    assert proof["root"] == result.root and proof["securing_key"] == layout.securing_key(1, 1)
    assert verify_entry_proof(proof)
    with platform.database.unit_of_work() as session:
        unit_entry = lifecycle(session, 1, _a_unit(platform, operation_id))["lifecycle"][0]
    assert verify_entry_proof(
        entry_proof_of(platform, 1, unit_entry["id"]), entry_hash=unit_entry["chain"]["hash"]
    )
    with pytest.raises(NotFound, match="not sealed"):
        entry_proof_of(platform, 2, operation_id)


def _a_unit(platform: Platform, operation_id: str) -> str:
    with platform.database.unit_of_work() as session:
        return UnitRepository(session, 1).units(operation_id=operation_id)[0].id


def test_two_securings_at_once_make_one_securing_file(platform: Platform) -> None:
    ingest(platform)
    with ThreadPoolExecutor(2) as pool:
        outcomes = []
        for future in [pool.submit(secure, platform, 1) for _ in range(2)]:
            try:
                outcomes.append(future.result())
            except Conflict as refusal:
                outcomes.append(refusal)
    made = [outcome for outcome in outcomes if isinstance(outcome, SecuringResult) and outcome.number]
    assert len(made) == 1 and made[0].number == 1
    with platform.database.unit_of_work() as session:
        assert [record.number for record in securings(session, 1)] == [1]


def test_an_unreachable_authority_fails_the_securing_and_leaves_nothing_behind(platform: Platform) -> None:
    ingest(platform)
    with tsa_server(LocalTsa(platform.settings.tsa_dir)) as url:
        pass  # the server is gone: nothing listens there any more
    platform.settings.tsa_url, platform.settings.tsa_timeout = url, 5.0
    with pytest.raises(TimestampError, match="unreachable"):
        secure(platform, 1)
    with platform.database.unit_of_work() as session:
        (failed,) = OperationLog(session, 1).operations(type_=LOGBOOK_SECURING)
        assert failed.outcome == "FATAL" and not securings(session, 1)
        assert not list(session.scalars(select(PendingWrite)))
    assert not any(offer.exists(layout.securing_key(1, 1)) for offer in platform.storage.offers)


def test_an_external_authority_is_used_when_configured(platform: Platform, tmp_path: Path) -> None:
    ensure_local_tsa(tmp_path / "external")
    external = LocalTsa(tmp_path / "external")
    ingest(platform)
    with tsa_server(external) as url:
        platform.settings.tsa_url = url
        platform.settings.tsa_certificates = tmp_path / "external" / CERTIFICATE_FILE
        result = secure(platform, 1)
    _, document = securing_file(platform, 1, result.number)
    assert document["timestamp"]["authority"] == url
    token, root = base64.b64decode(document["timestamp"]["token"]), bytes.fromhex(result.root)
    assert verify_token(token, root, [external.certificate]).imprint == root
    with pytest.raises(TokenInvalid, match="not a trusted authority"):
        verify_token(token, root, [LocalTsa(platform.settings.tsa_dir).certificate])
    assert verify_logbooks(platform, 1).ok  # the configured certificate is trusted, the local one still is
