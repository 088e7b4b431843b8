"""PRONOM format identification of archived objects, on the signatures shipped with opf-fido.

The archive records the format the bytes *are*, not the one the producer declared: every
preservation decision (migration, access copy, risk watch) rests on that PUID.

How one file is identified, as DROID (The National Archives' reference tool) does:

1. An empty file has no format.
2. Binary signatures are tried against the first and last 128 KiB (Fido's buffers). PRONOM
   priorities then drop every match that another match "has priority over" (PDF/A over
   PDF 1.4, ODF over ZIP).
3. A file that starts as a ZIP or OLE2 container is opened and PRONOM's container
   signatures are tried on the named inner files (ODF, OOXML and MS Office versions are only
   visible there); container matches, when any, replace the binary ones. Every file and
   subsequence of a container signature counts, as in DROID (Fido looks at the first file
   only and so calls every ODF text 1.0). Inner files are read up to
   `CONTAINER_READ_BYTES`, so a crafted container cannot exhaust memory.
4. Nothing matched: the file extension is tried, but only against formats for which PRONOM
   has no binary signature (DROID's default). A `.txt` file is Plain Text (x-fmt/111), as
   the reference SAE identifies it; a `.pdf` that is not a PDF stays unidentified.
5. Several candidates remain (PRONOM sets no priority between them): those whose
   extensions include the file's come first, then signature-file order; the first is the
   PUID, all are kept in `candidates`.

Speed: Fido's own matcher walks its XML elements for every file (about 3 ms a small file).
Signatures are compiled once here into plain tuples and indexed by the first byte a
signature requires at offset 0, which skips most of them (about 0.6 ms); the result is
identical to Fido's matcher (checked by the tests on every fixture file). `identify` keeps no state between
calls, so one `FormatIdentifier` serves every thread without a lock.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import olefile
from fido.fido import Fido
from fido.versions import get_local_versions

from archipel.core.errors import ConfigurationError

BUFFER_BYTES = 128 * 1024
"""Bytes read at each end of a file for binary signatures (Fido's default `bufsize`)."""
CONTAINER_READ_BYTES = 4 * 1024 * 1024
"""At most this much of one inner file of a container is searched."""
OLE_STREAM_LIMIT_BYTES = 64 * 1024 * 1024
"""olefile reads a whole stream into memory: larger streams are not opened."""

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ANCHOR = "(?s)\\A"
_REGEX_META = frozenset(".^$*+?{}[]|()\\")
_PRONOM_PUID = re.compile(r"(?:x-)?fmt/\d+")
_SEQUENCE_TOKEN = re.compile(
    r"\s+|'(?P<quoted>[^']*)'|(?P<byte>[0-9A-Fa-f]{2})|\[(?P<byte_set>[^\]]*)\]|\{(?P<gap>[^}]*)\}"
    r"|(?P<any>\?\?)|(?P<star>\*)|(?P<open>\()|(?P<bar>\|)|(?P<close>\))|(?P<unknown>.)"
)
_SEQUENCE_SYMBOLS = {"any": b".", "star": b".*?", "open": b"(?:", "bar": b"|", "close": b")"}
_SET_ITEM = re.compile(r"'(?P<quoted>[^']*)'|(?P<low>[0-9A-Fa-f]{2})(?::(?P<high>[0-9A-Fa-f]{2}))?")


@dataclass(frozen=True)
class FormatIdentification:
    puid: str | None
    name: str | None
    mime: str | None
    candidates: tuple[str, ...]
    """Every PUID still standing after PRONOM priorities, the chosen one first."""
    basis: str | None = None
    """How the PUID was found: `signature`, `container` or `extension` (None when unknown)."""


UNKNOWN = FormatIdentification(None, None, None, ())


@dataclass(frozen=True)
class _Format:
    order: int
    puid: str
    name: str | None
    mime: str | None
    extensions: frozenset[str]
    outranks: frozenset[str]
    """PUIDs this format has priority over (PRONOM `has_priority_over`)."""


Pattern = tuple[str, "re.Pattern[bytes]"]
"""(position, regex): position is BOF (match at offset 0), EOF or VAR (search)."""


@dataclass(frozen=True)
class _BinaryFormat:
    format: _Format
    signatures: tuple[tuple[Pattern, ...], ...]


@dataclass(frozen=True)
class _ContainerSignature:
    puid: str
    members: tuple[tuple[str, tuple[re.Pattern[bytes], ...]], ...]
    """(inner file, regexes that must all match its start); no regex: the file must only exist."""

    def matches(self, members: dict[str, bytes]) -> bool:
        return all(
            name in members and all(regex.search(members[name]) for regex in regexes)
            for name, regexes in self.members
        )


class FormatIdentifier:
    """Loads signatures once (slow); identify() is safe to call from several threads."""

    def __init__(self) -> None:
        versions = get_local_versions()
        fido = load_pronom_formats(versions)
        self.pronom_version: str = versions.pronom_version
        self._formats = {
            fido.get_puid(element): _read_format(order, element, fido)
            for order, element in enumerate(fido.formats)
        }
        binary = [
            _read_signatures(self._formats[fido.get_puid(element)], element) for element in fido.formats
        ]
        self._by_first_byte = _index_by_first_byte([entry for entry in binary if entry.signatures])
        self._unsigned_by_extension = _index_by_extension(
            [entry.format for entry in binary if not entry.signatures]
        )
        containers = Path(versions.conf_dir) / versions.pronom_container_signature
        self._zip_signatures = _read_container_signatures(containers, "ZIP")
        self._ole_signatures = _read_container_signatures(containers, "OLE2")

    def identify(self, path: Path) -> FormatIdentification:
        """The format of the file at `path` (reads at most 256 KiB plus container members)."""
        with path.open("rb") as stream:
            size = stream.seek(0, 2)
            if size == 0:
                return UNKNOWN
            stream.seek(0)
            bof = stream.read(BUFFER_BYTES)
            if size > BUFFER_BYTES:
                stream.seek(size - BUFFER_BYTES)
                eof = stream.read(BUFFER_BYTES)
            else:
                eof = bof
        extension = path.suffix.lower().lstrip(".")
        if matches := self._container_matches(path, bof):
            return _choose(matches, extension, "container")
        if matches := self._binary_matches(bof, eof):
            return _choose(matches, extension, "signature")
        if matches := self._unsigned_by_extension.get(extension, []):
            return _choose(matches, extension, "extension")
        return UNKNOWN

    def match_binary(self, bof: bytes, eof: bytes) -> list[str]:
        """PUIDs whose binary signatures match the head and tail of a file, after PRONOM
        priorities: what Fido's `match_formats` answers, faster."""
        return [fmt.puid for fmt in self._binary_matches(bof, eof)]

    def _binary_matches(self, bof: bytes, eof: bytes) -> list[_Format]:
        matched: list[_Format] = []
        for entry in self._by_first_byte[bof[0]] if bof else self._by_first_byte[256]:
            fmt = entry.format
            if any(fmt.puid in other.outranks for other in matched):
                continue
            if any(_signature_matches(patterns, bof, eof) for patterns in entry.signatures):
                matched.append(fmt)
        return _best(matched)

    def _container_matches(self, path: Path, bof: bytes) -> list[_Format]:
        if bof.startswith(_ZIP_MAGIC):
            signatures, read = self._zip_signatures, _zip_members
        elif bof.startswith(_OLE2_MAGIC):
            signatures, read = self._ole_signatures, _ole_streams
        else:
            return []
        members = dict(read(path, {name for signature in signatures for name, _ in signature.members}))
        found = [
            signature.puid
            for signature in signatures
            if signature.puid in self._formats and signature.matches(members)
        ]
        return _best(self._formats[puid] for puid in dict.fromkeys(found))


def _choose(formats: list[_Format], extension: str, basis: str) -> FormatIdentification:
    """Extension agreement first, then signature-file order (see the module docstring, rule 5)."""
    ranked = sorted(formats, key=lambda fmt: (extension not in fmt.extensions, fmt.order))
    best = ranked[0]
    return FormatIdentification(best.puid, best.name, best.mime, tuple(fmt.puid for fmt in ranked), basis)


def load_pronom_formats(versions: Any) -> Fido:
    """Fido on the signature files it ships (`versions`: `fido.versions.get_local_versions()`),
    holding PRONOM formats only: the formats this identifier can answer, and the default
    format referential (`archipel.referential.formats.formats_of_identifier`)."""
    try:
        fido = Fido(
            quiet=True,
            handle_matches=_ignore_matches,
            conf_dir=versions.conf_dir,
            format_files=[versions.pronom_signature, versions.fido_extension_signature],
        )
    except SystemExit as error:  # Fido exits the process on an unreadable signature file
        raise ConfigurationError(f"cannot load the PRONOM signatures of opf-fido: {error}") from error
    keep_pronom_formats_only(fido)
    return fido


def keep_pronom_formats_only(fido: Fido) -> None:
    """Drops Fido's own `fido-fmt/...` formats (as its `-nouseformats` option does): the
    archive records PRONOM PUIDs only. Fido's improved signatures of PRONOM formats stay."""
    fido.formats = [element for element in fido.formats if _PRONOM_PUID.fullmatch(fido.get_puid(element))]


def _ignore_matches(*args: Any, **kwargs: Any) -> None:
    """Fido prints matches to stdout unless given a handler; identification never asks it to match."""


def _read_format(order: int, element: ElementTree.Element, fido: Fido) -> _Format:
    mime = element.findtext("mime")
    return _Format(
        order=order,
        puid=fido.get_puid(element),
        name=element.findtext("name"),
        mime=mime.strip() if mime else None,
        extensions=frozenset((ext.text or "").lower() for ext in element.findall("extension")),
        outranks=fido.puid_has_priority_over_map[fido.get_puid(element)],
    )


def _read_signatures(fmt: _Format, element: ElementTree.Element) -> _BinaryFormat:
    signatures = tuple(
        tuple(
            (pattern.findtext("position") or "", re.compile((pattern.findtext("regex") or "").encode()))
            for pattern in signature.findall("pattern")
        )
        for signature in element.findall("signature")
    )
    return _BinaryFormat(fmt, signatures)


def _signature_matches(patterns: tuple[Pattern, ...], bof: bytes, eof: bytes) -> bool:
    """Fido's semantics: BOF is anchored at offset 0, EOF searches the tail, VAR/IFB the head."""
    for position, regex in patterns:
        if position == "BOF":
            if regex.match(bof) is None:
                return False
        elif position == "EOF":
            if regex.search(eof) is None:
                return False
        elif regex.search(bof) is None:
            return False
    return True


def _best(formats: Iterable[_Format]) -> list[_Format]:
    """Drops every format another one has priority over."""
    kept = list(formats)
    return [fmt for fmt in kept if not any(fmt.puid in other.outranks for other in kept if other is not fmt)]


def _index_by_first_byte(binary: Sequence[_BinaryFormat]) -> list[tuple[_BinaryFormat, ...]]:
    """For each first byte (and 256 for none), the formats worth trying, in signature order.

    A format is skipped for a byte only when every one of its signatures starts with a
    literal byte at offset 0 that differs from it.
    """
    table: list[list[_BinaryFormat]] = [[] for _ in range(257)]
    for entry in binary:
        firsts = {_first_byte(patterns) for patterns in entry.signatures}
        for byte in range(256) if None in firsts else {byte for byte in firsts if byte is not None}:
            table[byte].append(entry)
        table[256].append(entry)
    return [tuple(row) for row in table]


def _first_byte(patterns: tuple[Pattern, ...]) -> int | None:
    """The byte a signature requires at offset 0, read from its first BOF regex, or None.

    Conservative: only `(?s)\\A` followed by one literal byte (`\\xHH`, an escaped symbol or
    a plain character) not made optional by `?`, `*` or `{`, in a regex without a top-level
    alternation.
    """
    text = next((regex.pattern.decode("latin-1") for position, regex in patterns if position == "BOF"), None)
    if text is None or not text.startswith(_ANCHOR) or _has_top_level_alternation(text):
        return None
    body = text[len(_ANCHOR) :]
    if body.startswith("\\x") and len(body) >= 4:
        byte, rest = int(body[2:4], 16), body[4:]
    elif body.startswith("\\") and len(body) >= 2 and not body[1].isalnum():
        byte, rest = ord(body[1]), body[2:]
    elif body and body[0] not in _REGEX_META and ord(body[0]) < 128:
        byte, rest = ord(body[0]), body[1:]
    else:
        return None
    return None if rest[:1] in ("?", "*", "{") else byte


def _has_top_level_alternation(text: str) -> bool:
    depth, in_class, at = 0, False, 0
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
        at += 1
    return False


def _index_by_extension(formats: Iterable[_Format]) -> dict[str, list[_Format]]:
    index: dict[str, list[_Format]] = {}
    for fmt in formats:
        for extension in fmt.extensions:
            index.setdefault(extension, []).append(fmt)
    return index


def _read_container_signatures(path: Path, kind: str) -> tuple[_ContainerSignature, ...]:
    """PRONOM's container signatures of one kind (ZIP, OLE2), from Fido's copy of the file.

    Fido's own reader keeps only the first file and first subsequence of a signature, which
    cannot tell ODF 1.0 from 1.2 (the version is in `content.xml`, the second file), and its
    syntax converter mistranslates ranges (`[00:FF]`) and bit masks (`[&01]`).
    """
    root = ElementTree.parse(path).getroot()
    puids = {mapping.get("signatureId"): mapping.get("Puid") for mapping in root.iter("FileFormatMapping")}
    return tuple(
        _ContainerSignature(
            puids[signature.get("Id")] or "",
            tuple(
                (
                    member.findtext("Path") or "",
                    tuple(re.compile(_byte_sequence(sequence)) for sequence in member.iter("ByteSequence")),
                )
                for member in signature.iter("File")
            ),
        )
        for signature in root.iter("ContainerSignature")
        if signature.get("ContainerType") == kind and signature.get("Id") in puids
    )


def _byte_sequence(sequence: ElementTree.Element) -> bytes:
    """One DROID ByteSequence as a regex: subsequences in order, each after its offset gap
    (from the start for `BOFoffset`, from the end for `EOFoffset`, anywhere otherwise)."""
    parts = []
    for sub in sorted(sequence.iter("SubSequence"), key=lambda sub: int(sub.get("Position") or 1)):
        body = _sequence_regex(sub.findtext("Sequence") or "")
        for fragment in sub.iter("RightFragment"):
            body += _gap(fragment.get("MinOffset"), fragment.get("MaxOffset"))
            body += _sequence_regex(fragment.text or "")
        parts.append((_gap(sub.get("SubSeqMinOffset"), sub.get("SubSeqMaxOffset")), body))
    reference = sequence.get("Reference")
    if reference == "EOFoffset":
        return b"(?s)" + b"".join(body + gap for gap, body in reversed(parts)) + b"\\Z"
    if reference != "BOFoffset" and parts:
        parts[0] = (b"", parts[0][1])
    anchor = b"(?s)\\A" if reference == "BOFoffset" else b"(?s)"
    return anchor + b"".join(gap + body for gap, body in parts)


def _sequence_regex(text: str) -> bytes:
    """DROID's byte-sequence syntax as a regex: `0D 0A`, `'text'`, `[00:1F]` (range), `[!00]`
    (not), `[&01]` (bits set), `[22 27]` (any of), `(a|b)`, `??`, `{4}`, `{2-*}`, `*`."""
    out = []
    for token in _SEQUENCE_TOKEN.finditer(text):
        kind = token.lastgroup
        value = token.group(kind) if kind else ""
        if kind == "quoted":
            out.append(re.escape(value.encode("latin-1")))
        elif kind == "byte":
            out.append(b"\\x" + value.encode())
        elif kind == "byte_set":
            out.append(_byte_set(value))
        elif kind == "gap":
            low, _, high = value.partition("-")
            out.append(_gap(low, None if high == "*" else high or low))
        elif kind in _SEQUENCE_SYMBOLS:
            out.append(_SEQUENCE_SYMBOLS[kind])
        elif kind == "unknown":
            raise ValueError(f"unsupported byte-sequence syntax {value!r} in {text!r}")
    return b"".join(out)


def _byte_set(text: str) -> bytes:
    """DROID's `[...]`: bytes, `XX:YY` ranges and quoted characters, negated by a leading
    `!`; or `&XX`, every byte with all the bits of XX set."""
    if text.startswith("&"):
        mask = int(text[1:].strip(), 16)
        return b"[" + b"".join(b"\\x%02x" % byte for byte in range(256) if byte & mask == mask) + b"]"
    items = []
    for item in _SET_ITEM.finditer(text.lstrip("!")):
        if item.group("quoted") is not None:
            items += [b"\\x%02x" % ord(char) for char in item.group("quoted")]
        elif item.group("high"):
            items.append(b"\\x%s-\\x%s" % (item.group("low").encode(), item.group("high").encode()))
        else:
            items.append(b"\\x" + item.group("low").encode())
    return (b"[^" if text.startswith("!") else b"[") + b"".join(items) + b"]"


def _gap(minimum: str | None, maximum: str | None) -> bytes:
    """Skip `minimum` to `maximum` bytes; no maximum: any number; a maximum below the minimum
    (PRONOM writes `SubSeqMaxOffset="0"` for "exactly at the minimum"): exactly `minimum`."""
    low = int(minimum or 0)
    if maximum is None:
        return b".{%d,}?" % low
    high = max(low, int(maximum))
    return b".{%d,%d}" % (low, high) if high else b""


def _zip_members(path: Path, names: set[str]) -> Iterator[tuple[str, bytes]]:
    """The start of each inner file some ZIP container signature looks at."""
    try:
        with zipfile.ZipFile(path) as archive:
            for member in names & set(archive.namelist()):
                with archive.open(member) as inner:
                    yield member, inner.read(CONTAINER_READ_BYTES)
    except Exception:  # damaged, encrypted or exotic (Deflate64) ZIP: the binary match stands
        return


def _ole_streams(path: Path, names: set[str]) -> Iterator[tuple[str, bytes]]:
    """The start of each OLE2 stream some container signature looks at; as Fido does, a
    stream also answers to its name without its first character (`\\x01CompObj`)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = ["/".join(parts) for parts in ole.listdir()]
            for member in names:
                found = next((name for name in streams if member in (name, name[1:])), None)
                if found is None or ole.get_size(found) > OLE_STREAM_LIMIT_BYTES:
                    continue
                with ole.openstream(found) as stream:
                    yield member, stream.read(CONTAINER_READ_BYTES)
    except Exception:  # olefile raises many kinds on malformed input: the binary match stands
        return
