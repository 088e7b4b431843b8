"""`archipel verify`: an evidence bundle checked offline, and every tampering caught by name.

The verifier is pure: one bundle is exported once (SQLite instance) and each test changes a
copy of it as someone holding the ZIP could, re-packing it with valid ZIP checksums.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import Template, clone_platform
from test_evidence_export import export, unit_with_object

from archipel.logbook.evidence_entries import time_stamp_response
from archipel.logbook.merkle import merkle_root
from archipel.logbook.tsa import CERTIFICATE_FILE, ensure_local_tsa, load_certificates, token_of_response
from archipel.logbook.verifier import verify_bundle

Change = Callable[[bytes], bytes]


@pytest.fixture(scope="module")
def bundle(templates: dict[str, Template], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An evidence bundle of a secured unit holding one PDF, every check held at export."""
    root = tmp_path_factory.mktemp("evidence")
    instance = clone_platform(
        templates["sqlite"], root / "home", f"sqlite:///{root / 'home' / 'archipel.db'}"
    )
    try:
        unit_id, _ = unit_with_object(instance)
        assert export(instance, unit_id, root / "bundle.zip").ok
    finally:
        instance.close()
    yield root / "bundle.zip"


def report_of(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as archive:
        return json.loads(archive.read("report.json"))


def repacked(
    bundle: Path, target: Path, changes: dict[str, Change], added: dict[str, bytes] | None = None
) -> Path:
    """A copy of the bundle with some files changed (or added), as a valid ZIP."""
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            copy.writestr(info, changes[info.filename](data) if info.filename in changes else data)
        for name, data in (added or {}).items():
            copy.writestr(name, data)
    return target


def edit_json(edit: Callable[[dict[str, Any]], None]) -> Change:
    def change(data: bytes) -> bytes:
        document = json.loads(data)
        edit(document)
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")

    return change


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def failed_names(bundle: Path, **options: Any) -> set[str]:
    return {check.name for check in verify_bundle(bundle, **options).failed()}


def test_an_intact_bundle_verifies_in_a_process_with_no_instance_database_or_server(
    bundle: Path, tmp_path: Path
) -> None:
    nowhere = tmp_path / "no-instance"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("ARCHIPEL_")}
    environment |= {
        "ARCHIPEL_HOME": str(nowhere),
        "ARCHIPEL_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nothing",
    }
    done = subprocess.run(
        [sys.executable, "-m", "archipel", "verify", str(bundle), "--json"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["ok"] is True and all(check["ok"] for check in verdict["checks"])
    names = {check["name"] for check in verdict["checks"]}
    assert {"report", "secured", "securing 1", "timestamp 1", "tsa certificates", "bundle contents"} <= names
    assert any(name.startswith("binary ") for name in names) and any(
        name.startswith("proof ") for name in names
    )
    assert not nowhere.exists() and not (tmp_path / "archipel-data").exists()  # nothing was created


def test_an_objects_bytes_altered_in_the_bundle_are_caught(bundle: Path, tmp_path: Path) -> None:
    (obj,) = report_of(bundle)["objects"]
    tampered = repacked(bundle, tmp_path / "b.zip", {obj["file"]: lambda data: b"%PDF-forged" + data[11:]})
    verdict = verify_bundle(tampered)
    assert not verdict.ok
    (fault,) = verdict.failed()
    assert fault.name == f"binary {obj['id']} (BinaryMaster_1)"
    assert "recorded at ingest" in fault.detail


def test_a_securing_file_altered_in_the_bundle_is_caught(bundle: Path, tmp_path: Path) -> None:
    def forge_a_leaf(document: dict[str, Any]) -> None:
        document["entries"][0]["hash"] = "f" * 128

    tampered = repacked(
        bundle, tmp_path / "b.zip", {"logbook/securings/000001.json": edit_json(forge_a_leaf)}
    )
    faults = {check.name: check.detail for check in verify_bundle(tampered).failed()}
    assert "securing 1" in faults and "SHA-512" in faults["securing 1"]


def test_a_securing_files_root_changed_with_its_leaves_is_caught_by_the_token(
    bundle: Path, tmp_path: Path
) -> None:
    """A forger who rebuilds the tree over changed leaves still cannot have the new root time-stamped."""

    def forge_the_tree(document: dict[str, Any]) -> None:
        document["entries"][0]["hash"] = "f" * 128
        document["merkle"]["root"] = merkle_root([leaf["hash"] for leaf in document["entries"]])

    tampered = repacked(
        bundle, tmp_path / "b.zip", {"logbook/securings/000001.json": edit_json(forge_the_tree)}
    )
    faults = {check.name: check.detail for check in verify_bundle(tampered).failed()}
    assert "message imprint" in faults["timestamp 1"]


def test_a_time_stamp_token_altered_in_the_bundle_is_caught(bundle: Path, tmp_path: Path) -> None:
    tampered = repacked(bundle, tmp_path / "b.zip", {"logbook/securings/000001.tsr": flip_last_byte})
    faults = {check.name: check.detail for check in verify_bundle(tampered).failed()}
    assert set(faults) == {"timestamp 1"}
    assert "does not hold the token of securing file 1" in faults["timestamp 1"]


def test_a_token_whose_signature_was_altered_everywhere_is_caught(bundle: Path, tmp_path: Path) -> None:
    """The same forged token in the securing file and the .tsr: its signature no longer verifies."""
    with zipfile.ZipFile(bundle) as archive:
        forged = flip_last_byte(token_of_response(archive.read("logbook/securings/000001.tsr")))

    def swap_token(document: dict[str, Any]) -> None:
        document["timestamp"]["token"] = base64.b64encode(forged).decode("ascii")

    tampered = repacked(
        bundle,
        tmp_path / "b.zip",
        {
            "logbook/securings/000001.json": edit_json(swap_token),
            "logbook/securings/000001.tsr": lambda _data: time_stamp_response(forged),
        },
    )
    faults = {check.name: check.detail for check in verify_bundle(tampered).failed()}
    assert "signature does not verify" in faults["timestamp 1"]


def test_a_token_from_an_authority_not_trusted_is_refused(bundle: Path, tmp_path: Path) -> None:
    ensure_local_tsa(tmp_path / "other")
    other = load_certificates((tmp_path / "other" / CERTIFICATE_FILE).read_bytes())
    faults = {check.name: check.detail for check in verify_bundle(bundle, trusted=other).failed()}
    assert set(faults) == {"timestamp 1"} and "not a trusted authority" in faults["timestamp 1"]


def _object_digest(report: dict[str, Any]) -> None:
    report["objects"][0]["sha512_database"] = "0" * 128


def _entry_outcome(report: dict[str, Any]) -> None:
    entry = report["entries"][1]
    entry["content"]["outcome"] = entry["outcome"] = "KO"


def _unit_title(report: dict[str, Any]) -> None:
    report["unit"]["title"] = "Un autre titre"


def _securing_digest(report: dict[str, Any]) -> None:
    report["securings"][0]["sha512"] = "0" * 128


def _proof_step(report: dict[str, Any]) -> None:
    report["entries"][0]["proof"]["path"][0]["hash"] = "0" * 128


def _time(report: dict[str, Any]) -> None:
    report["securings"][0]["timestamp"]["gen_time"] = "2020-01-01T00:00:00.000000+00:00"


@pytest.mark.parametrize(
    ("edit", "caught"),
    [
        (_object_digest, ("binary ", "checksum file")),
        (_entry_outcome, ("entry ",)),
        (_unit_title, ("unit document 1",)),
        (_securing_digest, ("securing 1",)),
        (_proof_step, ("proof ",)),
        (_time, ("timestamp 1",)),
    ],
)
def test_a_report_field_altered_is_caught(
    bundle: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None], caught: tuple[str, ...]
) -> None:
    """Each statement of the report is recomputed from the files: changing it names the check."""
    tampered = repacked(bundle, tmp_path / "b.zip", {"report.json": edit_json(edit)})
    faults = failed_names(tampered)
    assert any(name.startswith(caught[0]) for name in faults), faults
    assert all(name.startswith(caught) for name in faults), faults


def test_a_file_added_to_the_bundle_is_named(bundle: Path, tmp_path: Path) -> None:
    tampered = repacked(bundle, tmp_path / "b.zip", {}, {"Content/extra.pdf": b"%PDF-1.4"})
    faults = {check.name: check.detail for check in verify_bundle(tampered).failed()}
    assert set(faults) == {"bundle contents"} and "Content/extra.pdf" in faults["bundle contents"]


def test_a_missing_report_or_not_a_zip_fails_with_one_clear_check(bundle: Path, tmp_path: Path) -> None:
    not_zip = tmp_path / "x.zip"
    not_zip.write_bytes(b"not a zip")
    assert [(check.name, check.ok) for check in verify_bundle(not_zip).checks] == [("bundle", False)]
    with zipfile.ZipFile(bundle) as source, zipfile.ZipFile(tmp_path / "y.zip", "w") as copy:
        for info in source.infolist():
            if info.filename != "report.json":
                copy.writestr(info, source.read(info))
    (check,) = verify_bundle(tmp_path / "y.zip").checks
    assert (check.name, check.ok) == ("report", False) and "not in the bundle" in check.detail


@pytest.mark.parametrize(
    ("name", "caught"),
    [
        ("README.txt", "readme"),
        ("report.pdf", "readable report"),
        ("ingest/reply.xml", "ingest reply"),
        ("ingest/manifest.xml", "ingest manifest"),
        ("unit/000001.json", "unit document 1"),
        ("object-group/000001.json", "object group document"),
    ],
)
def test_a_bundled_document_altered_is_caught(bundle: Path, tmp_path: Path, name: str, caught: str) -> None:
    tampered = repacked(bundle, tmp_path / "b.zip", {name: lambda data: data + b"\n"})
    assert caught in failed_names(tampered)


def test_the_authoritys_certificate_swapped_in_the_bundle_is_caught(bundle: Path, tmp_path: Path) -> None:
    ensure_local_tsa(tmp_path / "other")
    other = (tmp_path / "other" / CERTIFICATE_FILE).read_bytes()
    tampered = repacked(bundle, tmp_path / "b.zip", {"tsa/tsa-certificates.pem": lambda _data: other})
    assert failed_names(tampered) == {"tsa certificates", "timestamp 1"}


def test_a_gutted_report_fails_as_one_check(bundle: Path, tmp_path: Path) -> None:
    def gut(report: dict[str, Any]) -> None:
        del report["objects"]

    (check,) = verify_bundle(repacked(bundle, tmp_path / "b.zip", {"report.json": edit_json(gut)})).checks
    assert (check.name, check.ok) == ("report", False) and "objects" in check.detail


def test_the_objects_digests_are_sealed_in_the_logbook_at_ingest(bundle: Path) -> None:
    report = report_of(bundle)
    assert not any("SHA-512 are recorded at ingest in the database" in said for said in report["limitations"])
    sealed = [json.loads(e["content"]["detail"]) for e in report["entries"] if e["content"].get("detail")]
    assert {obj["sha512_database"] for obj in report["objects"]} <= {
        item["sha512"] for detail in sealed for item in detail.get("objects", [])
    }


def test_a_binary_replaced_with_every_record_of_its_digest_but_the_sealed_one_is_caught(
    bundle: Path, tmp_path: Path
) -> None:
    """An attacker rewriting the database, the object group document and the report in step
    still cannot move the digest time-stamped in the object group's ingest entry."""
    report = report_of(bundle)
    obj = report["objects"][0]
    forged = b"%PDF-1.4 forged\n"
    forged_digest = hashlib.sha512(forged).hexdigest()

    def forge(document: dict[str, Any]) -> None:
        for item in document["objects"]:
            if item["id"] == obj["id"]:
                item.update(sha512_database=forged_digest, sha512_document=forged_digest, size=len(forged))

    verdict = verify_bundle(
        repacked(
            bundle, tmp_path / "forged.zip", {"report.json": edit_json(forge), obj["file"]: lambda _: forged}
        )
    )
    assert not verdict.ok
    failed = {check.name: check.detail for check in verdict.failed()}
    name = f"binary {obj['id']} ({obj['usage']}_{obj['version']})"
    assert "the logbook sealed SHA-512" in failed[name]
