"""Metadata kept as JSON is written back as the SEDA XML it came from, in the XSD's order.

Round trip on every fixture manifest: each unit's `Content` and `Management`, read to JSON
at ingest and written back, read again to the same JSON; the manifest with every unit's
blocks replaced by the written ones stays valid against the official XSD (or, for the
manifests that use extension points, against the schema with those points open) and
differs from the original only where ingest normalised a date.
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from support import FIXTURES

from archipel.seda.content import XML_LANG, content_json, management_json
from archipel.seda.content_xml import MetadataWriter, content_element, management_element
from archipel.seda.model import SEDA_NAMESPACES
from archipel.seda.relaxed import relaxed_schema
from archipel.seda.schema import seda_schema

MANIFESTS = sorted(
    (
        path
        for folder in ("sip/ok", "sip/ko", "referentials/filing")
        for path in (FIXTURES / folder).glob("*.zip")
    ),
    key=lambda path: path.name,
)
NORMALISED_DATES = {"2016-09-26Z": "2016-09-26"}
"""Dates ingest stores without their zone (`OK_DATE_SHOULD_TRANSFORM_PASS`), as Vitam does."""


def seda_manifest(path: Path) -> etree._Element | None:
    """The parsed manifest of a fixture SIP, None when it is not readable SEDA (KO fixtures)."""
    with zipfile.ZipFile(path) as archive:
        names = [name for name in archive.namelist() if name.lower().endswith("manifest.xml")]
        if not names:
            return None
        try:
            root = etree.fromstring(archive.read(names[0]))
        except etree.XMLSyntaxError:
            return None
    return root if etree.QName(root).namespace in SEDA_NAMESPACES else None


def shape(element: etree._Element) -> tuple[Any, ...]:
    """What XML says, without formatting: names, attributes, text, children in order."""
    text = (element.text or "").strip()
    return (
        etree.QName(element).localname,
        sorted((etree.QName(key).localname, value) for key, value in element.attrib.items()),
        NORMALISED_DATES.get(text, text),
        [shape(child) for child in element if isinstance(child.tag, str)],
    )


def valid(schema: etree.XMLSchema, root: etree._Element) -> bool:
    return bool(schema.validate(root))


def relaxed_valid(root: etree._Element, version: str) -> bool:
    relaxed = relaxed_schema(version)
    return valid(relaxed.schema, relaxed.extension_view(copy.deepcopy(root)).root)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_every_unit_of_every_fixture_manifest_survives_the_round_trip(path: Path) -> None:
    root = seda_manifest(path)
    if root is None:
        pytest.skip("not a readable SEDA manifest (a KO fixture about the container or the XML)")
    namespace = etree.QName(root).namespace
    version = SEDA_NAMESPACES[namespace]
    # what ingest accepts is in SEDA's order already; an invalid manifest may put an element where
    # the schema has no place for it, and the writer puts it where SEDA's extension points are
    acceptable = relaxed_valid(root, version)
    writer = MetadataWriter(version)
    rewritten = copy.deepcopy(root)
    blocks: list[tuple[str, Callable[[etree._Element], dict[str, Any]], Any]] = [
        ("Content", content_json, writer.content),
        ("Management", management_json, writer.management),
    ]
    units = list(rewritten.iter(f"{{{namespace}}}ArchiveUnit"))
    for unit in units:
        for name, read, write in blocks:
            original = unit.find(f"{{{namespace}}}{name}")
            if original is None:
                continue
            document = read(original)
            written = write(etree.Element("holder"), document)
            assert read(written) == document
            if acceptable:
                assert shape(written) == shape(original)
            original.getparent().replace(original, written)
    assert units or path.name.startswith("KO")
    if valid(seda_schema(version), root):
        assert valid(seda_schema(version), rewritten), seda_schema(version).error_log.last_error
    if acceptable:
        assert relaxed_valid(rewritten, version)


def children(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


def test_children_follow_the_xsd_sequence_whatever_the_json_order() -> None:
    content = {
        "EndDate": "2020-12-31",
        "Keyword": {"KeywordType": "subject", "KeywordContent": "voirie"},
        "Title": "Marché",
        "DescriptionLevel": "File",
    }
    element = content_element("2.1", content)
    assert children(element) == ["DescriptionLevel", "Title", "Keyword", "EndDate"]
    assert children(element[2]) == ["KeywordContent", "KeywordType"]


def test_language_variants_are_written_once_each_with_their_language() -> None:
    document = {
        "Title": "Registre",
        "Title_": {"fr": "Registre", "en": "Register"},
        "DescriptionLevel": "Item",
    }
    element = content_element("2.2", document)
    titles = [
        (title.get(XML_LANG), title.text) for title in element if etree.QName(title).localname == "Title"
    ]
    assert titles == [("fr", "Registre"), ("en", "Register")]
    assert content_json(element) == document


def test_a_plain_title_beside_its_variants_is_kept() -> None:
    document = {"Title": "Sans langue", "Title_": {"en": "Register"}}
    element = content_element("2.2", document)
    assert [(title.get(XML_LANG), title.text) for title in element] == [
        (None, "Sans langue"),
        ("en", "Register"),
    ]
    assert content_json(element) == document


def test_rules_are_written_as_pairs_before_the_category_elements() -> None:
    management = {
        "ClassificationRule": {
            "ClassificationOwner": "Ministère",
            "ClassificationLevel": "Secret Défense",
            "Rules": [{"StartDate": "2000-01-01", "Rule": "CLASS-1"}, {"Rule": "CLASS-2"}],
            "ClassificationAudience": "Interne",
        },
        "AccessRule": {
            "PreventInheritance": "true",
            "Rules": [{"Rule": "ACC-00001", "StartDate": "2000-01-01"}],
        },
    }
    element = management_element("2.1", management)
    assert children(element) == ["AccessRule", "ClassificationRule"]
    assert children(element[0]) == ["Rule", "StartDate", "PreventInheritance"]
    assert children(element[1]) == [
        "Rule",
        "StartDate",
        "Rule",
        "ClassificationAudience",
        "ClassificationLevel",
        "ClassificationOwner",
    ]
    assert management_json(element) == {
        "AccessRule": {
            "Rules": [{"Rule": "ACC-00001", "StartDate": "2000-01-01"}],
            "PreventInheritance": "true",
        },
        "ClassificationRule": {
            "Rules": [{"Rule": "CLASS-1", "StartDate": "2000-01-01"}, {"Rule": "CLASS-2"}],
            "ClassificationAudience": "Interne",
            "ClassificationLevel": "Secret Défense",
            "ClassificationOwner": "Ministère",
        },
    }


def test_an_element_the_schema_does_not_declare_goes_after_the_declared_ones() -> None:
    element = content_element("2.1", {"Arrangement": "dossiers", "Title": "Plan", "DescriptionLevel": "File"})
    assert children(element) == ["DescriptionLevel", "Title", "Arrangement"]


def test_attributes_and_text_values_are_written_as_xml() -> None:
    writer = MetadataWriter("2.1")
    holder = etree.Element(writer.tag("ArchiveUnit"))
    element = writer.element(holder, "Writer", {"@lang": "fr", "FullName": "Zoé\x01 Martin", "Corpname": 12})
    assert element.get(XML_LANG) == "fr"
    assert element.findtext(writer.tag("FullName")) == "Zoé Martin"  # a control character XML cannot carry
    assert element.findtext(writer.tag("Corpname")) == "12"
    assert writer.element(holder, "NeedAuthorization", True).text == "true"
