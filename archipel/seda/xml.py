"""Parsing XML that comes from outside: no entities, no DTD, no network.

A manifest is untrusted input. libxml2 is told never to resolve external entities (XXE),
never to load a DTD, never to fetch anything, and the `huge_tree` guard stays on, so
entity-expansion bombs ("billion laughs") and oversized text nodes are refused.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree


def untrusted_parser() -> etree.XMLParser:
    """A fresh parser for untrusted documents (parsers are not shared between threads)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(source: Path | bytes) -> etree._ElementTree:
    """Parse a file or bytes; raises `etree.XMLSyntaxError` on anything not well-formed.

    A document that declares entities is refused outright: SEDA never needs them, and an
    entity left unresolved would silently drop text from an archival description.
    """
    parser = untrusted_parser()
    if isinstance(source, bytes):
        tree = etree.ElementTree(etree.fromstring(source, parser))
    else:
        tree = etree.parse(str(source), parser)
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise etree.XMLSyntaxError("DOCTYPE declarations are not allowed", None, 0, 0, str(source)[:80])
    return tree
