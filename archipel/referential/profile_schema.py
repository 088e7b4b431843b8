"""Archive profile files (RelaxNG or XSD): checked when attached, compiled once, applied to manifests.

An archive profile (profil d'archivage) is a schema every manifest of a given kind of
transfer must satisfy; the Pastis editor writes RelaxNG, some services still write XSD.
The file comes from outside, so it is parsed like a manifest (`parse_untrusted`: no DTD,
no entities, no network) and it may not pull in anything but what Archipel ships:

* a RelaxNG profile must be self-contained: `include` and `externalRef` would make libxml2
  read any local file (or URL) they name, and Pastis never writes them;
* an XSD profile may import the SEDA schemas (by namespace, file name or URL: they resolve
  to the official XSDs bundled in `archipel/seda/xsd/`) and the W3C `xml.xsd`/`xlink.xsd`;
  any other import is refused, and a resolver answers anything else with an empty schema,
  so no file outside the package and no URL is ever read.

A compiled schema is cached by the SHA-512 of the profile text: every ingest of the day
uses the same profile, and compiling a Pastis profile costs far more than validating with
it. lxml schema objects keep their error log on themselves, so each one validates under
its own lock (as the bundled SEDA schema does under `archipel.seda.schema.schema_lock`).
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from archipel.core.digests import sha512_bytes
from archipel.seda.model import SEDA_NAMESPACES
from archipel.seda.schema import XSD_ROOT
from archipel.seda.xml import parse_untrusted, untrusted_parser

RNG, XSD = "RNG", "XSD"
FORMATS = (RNG, XSD)
RNG_NAMESPACE = "http://relaxng.org/ns/structure/1.0"
XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
MAX_PROFILE_BYTES = 8 * 1024 * 1024
"""Pastis profiles weigh tens of kilobytes; the largest fixture is 130 kB."""
COMPILED_CACHE_SIZE = 64
SCHEMA_REFERENCES = ("import", "include", "redefine", "override")

_SEDA_FILE = re.compile(r"^seda-(2\.[1-3])-[a-z]+\.xsd$")
_W3C_FILES = ("xml.xsd", "xlink.xsd")
_W3C_PREFIX = "http://www.w3.org/"
_DECLARED_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_EMPTY_SCHEMA = f'<xs:schema xmlns:xs="{XSD_NAMESPACE}"/>'


@dataclass(frozen=True)
class SchemaFault:
    """One fault of a profile file, or one way a manifest breaks a profile; `line` is 1-based."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ProfileFileError(Exception):
    """A profile file that does not compile. Refused when attached; at ingest (a stored file that
    no longer compiles) it is a technical fault, never the depositor's."""

    def __init__(self, faults: list[SchemaFault]) -> None:
        super().__init__("; ".join(str(fault) for fault in faults))
        self.faults = faults


@dataclass(frozen=True)
class ProfileFile:
    text: str
    """The file as text (its XML declaration kept), as stored in the profile's document."""
    sha512: str
    """SHA-512 of the text in its declared encoding: the attached file's own digest, unless
    that file began with a byte-order mark."""


def read_profile_file(data: bytes, profile_format: str) -> tuple[ProfileFile | None, list[SchemaFault]]:
    """A profile file as attached: decoded, parsed safely and compiled as `profile_format`."""
    if len(data) > MAX_PROFILE_BYTES:
        return None, [SchemaFault(0, f"the profile file exceeds {MAX_PROFILE_BYTES // (1024 * 1024)} MiB")]
    try:
        tree = parse_untrusted(data)
    except etree.XMLSyntaxError as error:
        return None, [_syntax_fault(error)]
    try:
        text = data.decode(tree.docinfo.encoding or "utf-8")
    except (LookupError, UnicodeDecodeError) as error:
        return None, [SchemaFault(0, f"the profile file cannot be read as {tree.docinfo.encoding}: {error}")]
    return check_profile_text(text.removeprefix("\ufeff"), profile_format)


def check_profile_text(text: str, profile_format: str) -> tuple[ProfileFile | None, list[SchemaFault]]:
    """A profile file held as text (attached earlier, or carried by an imported notice)."""
    profile = ProfileFile(text, sha512_bytes(_text_bytes(text)))
    try:
        compiled_profile(profile, profile_format)
    except ProfileFileError as error:
        return None, error.faults
    return profile, []


def compiled_profile(profile: ProfileFile, profile_format: str) -> CompiledProfile:
    """The compiled schema of a profile file, compiled once per SHA-512; raises `ProfileFileError`."""
    return _compile(_Source(profile.sha512, profile_format, profile.text))


@dataclass(eq=False)
class CompiledProfile:
    schema: etree.RelaxNG | etree.XMLSchema
    lock: threading.Lock = field(default_factory=threading.Lock)

    def validate(self, tree: etree._ElementTree) -> list[SchemaFault]:
        """Every way the manifest breaks the profile, in document order (none when it conforms)."""
        with self.lock:
            if self.schema.validate(tree):
                return []
            errors = list(self.schema.error_log)
        return [SchemaFault(error.line, _readable(error.message)) for error in errors]


@dataclass(frozen=True)
class _Source:
    sha512: str
    profile_format: str
    text: str = field(compare=False, hash=False)
    """Not part of the cache key: the digest stands for it."""


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compile(source: _Source) -> CompiledProfile:
    if source.profile_format not in FORMATS:
        raise ProfileFileError([SchemaFault(0, f"unknown profile Format {source.profile_format!r}")])
    data = _text_bytes(source.text)
    try:
        tree = parse_untrusted(data)
    except etree.XMLSyntaxError as error:
        raise ProfileFileError([_syntax_fault(error)]) from None
    faults = _wrong_kind(tree.getroot(), source.profile_format)
    if faults:
        raise ProfileFileError(faults)
    if source.profile_format == RNG:
        return CompiledProfile(_compile_relaxng(tree))
    return CompiledProfile(_compile_xsd(data))


def _compile_relaxng(tree: etree._ElementTree) -> etree.RelaxNG:
    references = [
        SchemaFault(
            node.sourceline or 0,
            f"<{etree.QName(node).localname} href={node.get('href')!r}>: "
            "a RelaxNG profile must be self-contained (it may not include other files)",
        )
        for node in tree.getroot().iter(f"{{{RNG_NAMESPACE}}}include", f"{{{RNG_NAMESPACE}}}externalRef")
    ]
    if references:
        raise ProfileFileError(references)
    try:
        return etree.RelaxNG(tree)
    except etree.RelaxNGParseError as error:
        raise ProfileFileError(_compile_faults(error, "RelaxNG")) from None


def _compile_xsd(data: bytes) -> etree.XMLSchema:
    """Compiles from a second parse of bytes `parse_untrusted` already accepted, whose parser
    carries the offline resolver, after pointing SEDA imports at the bundled schemas."""
    resolver = _BundledSchemas()
    parser = untrusted_parser()
    parser.resolvers.add(resolver)
    root = etree.fromstring(data, parser)
    faults = _point_imports_at_bundled_schemas(root)
    if faults:
        raise ProfileFileError(faults)
    try:
        schema = etree.XMLSchema(etree.ElementTree(root))
    except etree.XMLSchemaParseError as error:
        raise ProfileFileError(resolver.refusals() + _compile_faults(error, "an XML Schema")) from None
    if resolver.refused:
        raise ProfileFileError(resolver.refusals())
    return schema


def _point_imports_at_bundled_schemas(root: etree._Element) -> list[SchemaFault]:
    """SEDA schemas named by namespace, file name or URL become the bundled files' own paths
    (the bundled files include one another by those paths, so libxml2 loads each once)."""
    faults = []
    for node in root.iter(*(f"{{{XSD_NAMESPACE}}}{name}" for name in SCHEMA_REFERENCES)):
        location = node.get("schemaLocation")
        target = bundled_schema(location) if location else None
        version = SEDA_NAMESPACES.get(node.get("namespace") or "")
        if target is None and version is not None:
            target = XSD_ROOT / version / f"seda-{version}-main.xsd"
        if target is not None and target.name not in _W3C_FILES:
            node.set("schemaLocation", str(target))
        elif target is None and location is not None:
            message = (
                f"<xsd:{etree.QName(node).localname}> of {location!r}: only the SEDA schemas and the "
                "W3C xml.xsd/xlink.xsd bundled with Archipel can be used (nothing is fetched)"
            )
            faults.append(SchemaFault(node.sourceline or 0, message))
    return faults


def bundled_schema(location: str) -> Path | None:
    """The bundled file a schema location stands for: a SEDA XSD named by its file name (any
    folder or URL), or a W3C schema by its URL or a bundled path; None for anything else."""
    name = location.replace("\\", "/").rsplit("/", 1)[-1]
    match = _SEDA_FILE.match(name)
    if match is not None:
        path = XSD_ROOT / match[1] / name
        return path if path.is_file() else None
    if name in _W3C_FILES:
        inside = location.startswith(_W3C_PREFIX) or Path(location).resolve().parent.parent == XSD_ROOT
        return XSD_ROOT / "2.1" / name if inside else None
    return None


class _BundledSchemas(etree.Resolver):
    """Serves schema documents from the package; anything else gets an empty schema, and is noted."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        path = bundled_schema(system_url)
        if path is not None:
            return self.resolve_filename(str(path), context)
        self.refused.append(system_url)
        return self.resolve_string(_EMPTY_SCHEMA, context)

    def refusals(self) -> list[SchemaFault]:
        return [SchemaFault(0, f"refers to {url!r}, which is not a bundled schema") for url in self.refused]


def _wrong_kind(root: etree._Element, profile_format: str) -> list[SchemaFault]:
    """A clearer answer than the compiler's when the file is the other kind of schema."""
    namespace = etree.QName(root).namespace
    if profile_format == RNG and namespace == XSD_NAMESPACE:
        return [
            SchemaFault(root.sourceline or 1, "the file is an XML Schema (XSD), the profile's Format is RNG")
        ]
    if profile_format == XSD and namespace == RNG_NAMESPACE:
        return [
            SchemaFault(root.sourceline or 1, "the file is a RelaxNG schema, the profile's Format is XSD")
        ]
    return []


def _compile_faults(
    error: etree.XMLSchemaParseError | etree.RelaxNGParseError, kind: str
) -> list[SchemaFault]:
    entries = list(error.error_log)
    if not entries:
        return [SchemaFault(0, f"the file does not compile as {kind}: {error}")]
    return [
        SchemaFault(entry.line, f"the file does not compile as {kind}: {_readable(entry.message)}")
        for entry in entries[:20]
    ]


def _syntax_fault(error: etree.XMLSyntaxError) -> SchemaFault:
    return SchemaFault(error.lineno or 0, f"not well-formed XML: {error.msg}")


def _text_bytes(text: str) -> bytes:
    """The text in the encoding its XML declaration names (UTF-8 when it names none)."""
    match = _DECLARED_ENCODING.match(text)
    encoding = match[1] if match else "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    return text.encode(encoding, errors="xmlcharrefreplace")


def _readable(message: str) -> str:
    """libxml2 names SEDA elements `{fr:gouv:...:v2.1}Title`; archivists read `Title` (and `xsd:element`)."""
    for namespace in SEDA_NAMESPACES:
        message = message.replace(f"{{{namespace}}}", "")
    return message.replace(f"{{{XSD_NAMESPACE}}}", "xsd:").replace(f"{{{RNG_NAMESPACE}}}", "rng:")
