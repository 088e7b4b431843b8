"""Unpacking an untrusted SIP: each refusal rule on a ZIP crafted here, the real fixtures accepted."""

from __future__ import annotations

import stat
import struct
import unicodedata
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from support import FIXTURES

from archipel.core.settings import ZipLimits
from archipel.ingest.safezip import Unpacked, unpack_sip

LIMITS = ZipLimits()
ETE = "Content/\u00e9t\u00e9.pdf"
"""`Content/été.pdf`, composed (NFC)."""


def make_zip(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def patch_name(path: Path, placeholder: str, raw: bytes) -> None:
    """Rewrites an entry name's bytes in both headers, as a tool with another encoding would."""
    data = path.read_bytes()
    assert len(placeholder.encode()) == len(raw) and data.count(placeholder.encode()) == 2
    path.write_bytes(data.replace(placeholder.encode(), raw))


def patch_headers(path: Path, local_offset: int, central_offset: int, value: bytes) -> None:
    """Overwrites one field of the first entry's local header and central directory record."""
    data = bytearray(path.read_bytes())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + local_offset : local + local_offset + len(value)] = value
    data[central + central_offset : central + central_offset + len(value)] = value
    path.write_bytes(bytes(data))


def codes(unpacked: Unpacked) -> set[str | None]:
    return {finding.code for finding in unpacked.findings}


def assert_nothing_written(tmp_path: Path, dest: Path) -> None:
    assert not dest.exists()
    assert [path.name for path in tmp_path.rglob("*") if path.suffix != ".zip"] == []


def test_unpacks_a_simple_sip_and_lists_files_by_entry_name(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"manifest.xml": b"<a/>", "Content/ID1.pdf": b"%PDF-1.4"})

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert unpacked.findings == []
    assert unpacked.files == {
        "manifest.xml": tmp_path / "out" / "manifest.xml",
        "Content/ID1.pdf": tmp_path / "out" / "Content" / "ID1.pdf",
    }
    assert unpacked.files["Content/ID1.pdf"].read_bytes() == b"%PDF-1.4"
    assert unpacked.total_bytes == 12


def test_reports_progress_as_bytes_are_written(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"a.bin": b"x" * 3_000_000, "b.bin": b"y" * 10}, zipfile.ZIP_STORED)
    seen: list[int] = []

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS, progress=seen.append)

    assert seen == sorted(seen) and len(seen) >= 3
    assert seen[-1] == unpacked.total_bytes == 3_000_010


def test_refuses_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    sip = tmp_path / "sip.zip"
    sip.write_bytes(b"%PDF-1.4 not a zip at all")

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert codes(unpacked) == {"NOT_ZIP"}
    assert unpacked.findings[0].key == "CHECK_CONTAINER.NOT_ZIP.KO"


def test_refuses_a_truncated_zip(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"manifest.xml": b"<a/>" * 1000})
    sip.write_bytes(sip.read_bytes()[:-10])

    assert codes(unpack_sip(sip, tmp_path / "out", LIMITS)) == {"NOT_ZIP"}


def test_refuses_the_real_path_traversal_sip_without_writing_outside(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()

    unpacked = unpack_sip(
        FIXTURES / "sip/ko/SIP_KO_PathTraversalInFileName.zip", tmp_path / "work/sip", LIMITS
    )

    assert ("PATH_TRAVERSAL", "../../BadFile.txt") in {(f.code, f.target) for f in unpacked.findings}
    assert unpacked.files == {}
    assert list(tmp_path.rglob("*")) == [tmp_path / "work"]


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "Content/../../evil.txt",
        "/etc/evil.txt",
        "C:/evil.txt",
        "c:evil.txt",
        "Content\\..\\evil",
    ],
)
def test_refuses_names_that_could_escape_the_folder(tmp_path: Path, name: str) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"manifest.xml": b"<a/>", name: b"evil"})
    (tmp_path / "work").mkdir()

    unpacked = unpack_sip(sip, tmp_path / "work" / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("PATH_TRAVERSAL", name)]
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["sip.zip", "work"]
    assert not Path("/etc/evil.txt").exists()


@pytest.mark.parametrize("name", ["Content//a.pdf", "./manifest.xml", "Content/a\x01.pdf", "x" * 256])
def test_refuses_ambiguous_or_unwritable_names(tmp_path: Path, name: str) -> None:
    sip = make_zip(tmp_path / "sip.zip", {name: b"data"})

    assert codes(unpack_sip(sip, tmp_path / "out", LIMITS)) == {"INVALID_NAME"}


def test_refuses_a_symbolic_link(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("Content/passwd")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "sip.zip", "w") as archive:
        archive.writestr("manifest.xml", b"<a/>")
        archive.writestr(link, b"/etc/passwd")

    unpacked = unpack_sip(tmp_path / "sip.zip", tmp_path / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("SYMLINK", "Content/passwd")]
    assert_nothing_written(tmp_path, tmp_path / "out")


def test_refuses_more_entries_than_allowed_from_the_end_record(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {f"Content/{i}.txt": b"x" for i in range(5)})

    unpacked = unpack_sip(sip, tmp_path / "out", ZipLimits(max_entries=4))

    assert codes(unpacked) == {"TOO_MANY_ENTRIES"}


def test_refuses_a_directory_too_large_for_its_entry_count(tmp_path: Path) -> None:
    """Huge names make `zipfile` load a huge directory: refused from the end record alone."""
    sip = make_zip(tmp_path / "sip.zip", {"Content/" + "x/" * 5000 + "a.pdf": b"%PDF"})

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("TOO_LARGE", "sip.zip")]


def test_refuses_an_entry_declared_larger_than_the_per_file_limit(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"small.bin": b"s" * 10, "big.bin": b"b" * 1000}, zipfile.ZIP_STORED)

    unpacked = unpack_sip(sip, tmp_path / "out", ZipLimits(max_entry_bytes=999))

    assert [(f.code, f.target) for f in unpacked.findings] == [("TOO_LARGE", "big.bin")]
    assert_nothing_written(tmp_path, tmp_path / "out")


def test_refuses_a_sip_declared_larger_than_the_total_limit(tmp_path: Path) -> None:
    entries = {"a.bin": b"a" * 1000, "b.bin": b"b" * 1000}
    sip = make_zip(tmp_path / "sip.zip", entries, zipfile.ZIP_STORED)

    unpacked = unpack_sip(sip, tmp_path / "out", ZipLimits(max_total_bytes=1500))

    assert [(f.code, f.target) for f in unpacked.findings] == [("TOO_LARGE", "b.bin")]


def test_refuses_a_gigabyte_of_zeros_before_writing_anything(tmp_path: Path) -> None:
    sip = tmp_path / "bomb.zip"
    zeros = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(sip, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("Content/zeros.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(1024):
            entry.write(zeros)
    assert sip.stat().st_size < 10 * 1024 * 1024

    unpacked = unpack_sip(sip, tmp_path / "out", ZipLimits(max_ratio=100))

    assert codes(unpacked) == {"COMPRESSION_RATIO"}
    assert {f.target for f in unpacked.findings} == {"Content/zeros.bin"}
    assert_nothing_written(tmp_path, tmp_path / "out")


def test_accepts_a_small_file_that_compresses_very_well(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"manifest.xml": b"<a/>" * 100_000})

    assert unpack_sip(sip, tmp_path / "out", ZipLimits(max_ratio=10)).findings == []


def test_refuses_entries_sharing_their_compressed_bytes(tmp_path: Path) -> None:
    """The "overlapping files" bomb: two directory records point at one local entry."""
    sip = make_zip(tmp_path / "sip.zip", {"a.txt": b"a" * 100})
    data = sip.read_bytes()
    central = data.find(b"PK\x01\x02")
    end = data.find(b"PK\x05\x06")
    record = data[central:end]
    twin = record.replace(b"a.txt", b"b.txt")
    entries, size, offset = 2, len(record) * 2, central
    footer = data[end : end + 8] + struct.pack("<HHII", entries, entries, size, offset) + data[end + 20 :]
    sip.write_bytes(data[:central] + record + twin + footer)

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert "CORRUPT" in codes(unpacked)


def test_refuses_two_entries_with_the_same_name(tmp_path: Path) -> None:
    with warnings.catch_warnings(), zipfile.ZipFile(tmp_path / "sip.zip", "w") as archive:
        warnings.simplefilter("ignore")
        archive.writestr("Content/a.pdf", b"first")
        archive.writestr("Content/a.pdf", b"second")

    unpacked = unpack_sip(tmp_path / "sip.zip", tmp_path / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("DUPLICATE_ENTRY", "Content/a.pdf")]


def test_refuses_two_names_equal_once_unicode_is_normalised(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {ETE: b"one", unicodedata.normalize("NFD", ETE): b"two"})

    assert codes(unpack_sip(sip, tmp_path / "out", LIMITS)) == {"DUPLICATE_ENTRY"}


def test_refuses_a_name_that_is_both_a_file_and_a_folder(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"Content": b"file", "Content/a.pdf": b"pdf"})

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("DUPLICATE_ENTRY", "Content")]


def test_refuses_an_encrypted_entry(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"Content/secret.pdf": b"%PDF"}, zipfile.ZIP_STORED)
    patch_headers(sip, 6, 8, struct.pack("<H", 0x1))

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("ENCRYPTED", "Content/secret.pdf")]


def test_refuses_an_unsupported_compression_method(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"Content/a.pdf": b"%PDF"}, zipfile.ZIP_STORED)
    patch_headers(sip, 8, 10, struct.pack("<H", 9))  # Deflate64

    assert codes(unpack_sip(sip, tmp_path / "out", LIMITS)) == {"UNSUPPORTED_COMPRESSION"}


def test_refuses_a_bad_crc_and_removes_what_was_already_extracted(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"manifest.xml": b"<a/>", "Content/a.txt": b"hello world"}, 0)
    sip.write_bytes(sip.read_bytes().replace(b"hello world", b"hello w0rld"))

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert [(f.code, f.target) for f in unpacked.findings] == [("CORRUPT", "Content/a.txt")]
    assert unpacked.files == {}
    assert_nothing_written(tmp_path, tmp_path / "out")


def test_an_understated_size_never_writes_more_than_declared(tmp_path: Path) -> None:
    """Declared sizes can lie: the reader stops at the declared size and the CRC then fails."""
    sip = make_zip(tmp_path / "sip.zip", {"Content/a.txt": b"a" * 100_000})
    patch_headers(sip, 22, 24, struct.pack("<I", 100))
    written: list[int] = []

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS, progress=written.append)

    assert codes(unpacked) == {"CORRUPT"}
    assert max(written, default=0) <= 100
    assert_nothing_written(tmp_path, tmp_path / "out")


def test_keeps_unflagged_utf8_names_as_utf8(tmp_path: Path) -> None:
    """macOS and Java tools write UTF-8 names without the UTF-8 flag."""
    sip = make_zip(tmp_path / "sip.zip", {"Content/eeeee.pdf": b"%PDF"})
    patch_name(sip, "Content/eeeee.pdf", ETE.encode())

    assert list(unpack_sip(sip, tmp_path / "out", LIMITS).files) == [ETE]


def test_reads_unflagged_non_utf8_names_as_cp437(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"Content/ete.pdf": b"%PDF"})
    patch_name(sip, "Content/ete.pdf", ETE.encode("cp437"))

    assert list(unpack_sip(sip, tmp_path / "out", LIMITS).files) == [ETE]


def test_prefers_the_info_zip_unicode_path_field(tmp_path: Path) -> None:
    raw = b"Content/__.pdf"
    unicode_name = "Content/\u65e5\u672c.pdf".encode()
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + unicode_name
    info = zipfile.ZipInfo(raw.decode())
    info.extra = struct.pack("<HH", 0x7075, len(body)) + body
    with zipfile.ZipFile(tmp_path / "sip.zip", "w") as archive:
        archive.writestr(info, b"%PDF")

    unpacked = unpack_sip(tmp_path / "sip.zip", tmp_path / "out", LIMITS)

    assert list(unpacked.files) == ["Content/\u65e5\u672c.pdf"]


def test_normalises_names_to_nfc_so_manifest_uris_match(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {unicodedata.normalize("NFD", ETE): b"%PDF"})

    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert list(unpacked.files) == [ETE]
    assert unpacked.files[ETE].read_bytes() == b"%PDF"


def test_refuses_to_unpack_into_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    sip = make_zip(tmp_path / "sip.zip", {"manifest.xml": b"<a/>"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.txt").write_bytes(b"old")

    with pytest.raises(FileExistsError):
        unpack_sip(sip, tmp_path / "out", LIMITS)


@pytest.mark.parametrize("sip", sorted((FIXTURES / "sip/ok").glob("*.zip")), ids=lambda path: path.name)
def test_unpacks_every_accepted_fixture(tmp_path: Path, sip: Path) -> None:
    unpacked = unpack_sip(sip, tmp_path / "out", LIMITS)

    assert unpacked.findings == []
    assert "manifest.xml" in unpacked.files
    assert unpacked.total_bytes == sum(path.stat().st_size for path in unpacked.files.values())
