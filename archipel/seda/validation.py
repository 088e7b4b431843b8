"""The CHECK_SEDA step: is the manifest XML, which SEDA version, and is it schema-valid?

Codes are Vitam's (`CHECK_SEDA.NOT_XML_FILE`, `CHECK_SEDA.UNSUPPORTED_SEDA_VERSION`,
`CHECK_SEDA.NOT_XSD_VALID`). The manifest is parsed as untrusted input: a DOCTYPE, an
entity declaration (XXE, "billion laughs") or anything not well-formed is `NOT_XML_FILE`.

Validity is judged the way the reference system judges it (see `archipel.seda.relaxed`):
first against the bundled official XSD; a manifest it refuses is then read against the
relaxed derivation, which also admits extension elements at SEDA's abstract extension
points. Such an element is accepted silently: SEDA designates those places for
extensions, so using them is conformant, and the reference system reports nothing either
(`OK_SIP_FULL_SEDA2.3`, `TEST_ELIMINATION` or `Gallieni_metro_producteur1` end OK, not
WARNING). An error found by the relaxed reading is reported with the element, its line
and the schema's reason; every error is listed (up to `MAX_REPORTED_ERRORS`) so the
producer can fix the manifest in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archipel.ingest.findings import Finding, ko
from archipel.seda.model import SEDA_NAMESPACES
from archipel.seda.relaxed import EXTENSION_NAMESPACE, ExtensionView, relaxed_schema
from archipel.seda.schema import schema_lock, seda_schema
from archipel.seda.xml import parse_untrusted

STEP = "CHECK_SEDA"
ROOT_ELEMENT = "ArchiveTransfer"
MAX_REPORTED_ERRORS = 50

_LIBXML_LOCATION = re.compile(r", line \d+, column \d+$")
_LIBXML_ELEMENT_ERROR = re.compile(r"^Element '(?P<element>[^']*)'(?:, attribute '(?P<attribute>[^']*)')?: ")


@dataclass
class ManifestCheck:
    tree: etree._ElementTree | None
    """The parsed manifest (as written, extension elements untouched); None when not XML."""
    seda_version: str | None
    """"2.1", "2.2" or "2.3" from the root's namespace; None when not a supported SEDA."""
    findings: list[Finding] = field(default_factory=list)


def check_manifest(manifest: Path) -> ManifestCheck:
    """Parse and validate a SIP's manifest; findings are all `CHECK_SEDA`, KO when refused.

    Findings target the manifest's file name (`manifest.xml` in a conformant SIP).
    """
    try:
        tree = parse_untrusted(manifest)
    except etree.XMLSyntaxError as error:
        return ManifestCheck(None, None, [_not_xml(error, manifest.name)])
    root = tree.getroot()
    namespace = etree.QName(root).namespace
    version = SEDA_NAMESPACES.get(namespace or "")
    if version is None:
        return ManifestCheck(tree, None, [_unsupported_version(namespace, manifest.name)])
    if etree.QName(root).localname != ROOT_ELEMENT:
        message = f"the root element is <{etree.QName(root).localname}>, a SEDA manifest is <{ROOT_ELEMENT}>"
        return ManifestCheck(tree, version, [ko(STEP, message, "NOT_XSD_VALID", manifest.name)])
    return ManifestCheck(tree, version, _schema_findings(manifest, root, version))


def _not_xml(error: etree.XMLSyntaxError, target: str) -> Finding:
    line, column = error.position if error.position else (0, 0)
    where = f" at line {line}, column {column}" if line else ""
    reason = _LIBXML_LOCATION.sub("", error.msg or "")
    return ko(STEP, f"the manifest is not well-formed XML{where}: {reason}", "NOT_XML_FILE", target)


def _unsupported_version(namespace: str | None, target: str) -> Finding:
    supported = ", ".join(f"{uri} (SEDA {version})" for uri, version in SEDA_NAMESPACES.items())
    written = f"namespace {namespace}" if namespace else "no namespace"
    message = f"the manifest's root element is in {written}; supported: {supported}"
    return ko(STEP, message, "UNSUPPORTED_SEDA_VERSION", target)


def _schema_findings(manifest: Path, root: etree._Element, version: str) -> list[Finding]:
    official = seda_schema(version)
    with schema_lock():
        if official.validate(root):
            return []
    relaxed = relaxed_schema(version)
    view = relaxed.extension_view(parse_untrusted(manifest).getroot())
    with schema_lock():
        relaxed.schema.validate(view.root)
        errors = list(relaxed.schema.error_log)
    findings = [_xsd_finding(error, view, manifest.name) for error in errors[:MAX_REPORTED_ERRORS]]
    if len(errors) > MAX_REPORTED_ERRORS:
        more = len(errors) - MAX_REPORTED_ERRORS
        findings.append(ko(STEP, f"…and {more} more XSD errors", "NOT_XSD_VALID", manifest.name))
    return findings


def _xsd_finding(error: etree._LogEntry, view: ExtensionView, target: str) -> Finding:
    message = error.message
    match = _LIBXML_ELEMENT_ERROR.match(message)
    if match is None:
        return ko(STEP, f"line {error.line}: {_readable(message, view)}", "NOT_XSD_VALID", target)
    element = _readable(match["element"], view)
    subject = f"<{element}>" + (f", attribute {match['attribute']}" if match["attribute"] else "")
    reason = _readable(message[match.end() :], view).rstrip()
    text = f"line {error.line}, {subject}: {reason}{_extension_context(error, element, view)}"
    return ko(STEP, text, "NOT_XSD_VALID", target)


def _readable(text: str, view: ExtensionView) -> str:
    """libxml2 names elements `{namespace}Name`; the SEDA and extension ones read as `Name`."""
    text = text.replace(f"{{{EXTENSION_NAMESPACE}}}*", "extension elements")
    return text.replace(f"{{{view.namespace}}}", "").replace(f"{{{EXTENSION_NAMESPACE}}}", "")


def _extension_context(error: etree._LogEntry, element_name: str, view: ExtensionView) -> str:
    """Says when an extension element is at fault, which libxml2's message cannot tell.

    Either the element itself is not SEDA's at that place, or a SEDA element is refused
    because an extension element before it already closed the content model (extension
    points come after the SEDA elements they extend).
    """
    element = view.element_at(error.line, element_name)
    if element is None:
        return ""
    if etree.QName(element).namespace == EXTENSION_NAMESPACE:
        return " (not a SEDA element here: extension elements are admitted only at SEDA's extension points)"
    previous = element.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    if previous is not None and etree.QName(previous).namespace == EXTENSION_NAMESPACE:
        name = etree.QName(previous).localname
        return (
            f" (it follows <{name}> at line {previous.sourceline}, which is not a SEDA element here: "
            "extension elements are admitted only at SEDA's extension points, after SEDA's own elements)"
        )
    return ""
