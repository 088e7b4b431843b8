"""SEDA metadata kept as JSON, written back as XML: the reverse of `archipel.seda.content`.

Units are stored in the shape `archipel.seda.content` gives them (element local names as
keys, a repeated element as a list, `"@name"` attributes, `"#text"`, `Title_` language
variants, rule categories as `{"Rules": [...]}`). A DIP, a transfer to another archive or
an evidence bundle must give them back as SEDA XML, and XSD validity depends on the ORDER
of the children, which JSON does not keep. The order is taken from the schema itself:
`ContentModels` (read from the bundled XSD of the target version) lists each complex type's
children in declaration order, so `Content`, `Management`, a `BinaryDataObject` or a
whole message come out in the sequence SEDA prescribes, whatever order the JSON holds.

The reverse of each habit of the forward mapping:

* a list is the element repeated; a dictionary an element with children; anything else
  its text (booleans as `true`/`false`);
* `"@lang"`, `"@space"` and `"@base"` are the `xml:` attributes (SEDA declares no other
  attribute by these names); every other attribute is written without namespace;
* `"Title_": {"fr": ..., "en": ...}` is one `<Title xml:lang="...">` per variant, after the
  plain `Title`s. When no `Title` was written without a language, the forward mapping put
  one variant in `Title` as well (French, else the last); that copy is recognised and not
  written twice;
* `{"Rules": [{"Rule", "StartDate"...}], ...}` is the flat sequence `Rule, StartDate?,
  Rule...` of a rule category, each rule's fields in the schema's order, before the
  category's own elements (`PreventInheritance`, `FinalAction`...) as SEDA has them;
* a name the schema does not declare at that place (a producer's extension element, kept
  at ingest) is written after the declared ones, where SEDA puts its extension points,
  in the SEDA namespace (the forward mapping kept local names only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from archipel.seda.content import XML_LANG, _preferred
from archipel.seda.relaxed import ContentModels, TypeKey, relaxed_schema
from archipel.seda.reply import NAMESPACES

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
XML_ATTRIBUTES = frozenset({"lang", "space", "base"})
RULES = "Rules"
LANGUAGE_SUFFIX = "_"

CONTENT_TYPE = "DescriptiveMetadataContentType"
MANAGEMENT_TYPE = "ManagementType"


class MetadataWriter:
    """Writes JSON-shaped SEDA metadata as elements of one SEDA version, in its XSD order."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.namespace = NAMESPACES[version]
        self.models: ContentModels = relaxed_schema(version).models

    def tag(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def document(self, name: str, value: Mapping[str, Any]) -> etree._Element:
        """A root element (a whole message) of the version's namespace, typed as SEDA declares it."""
        root = etree.Element(self.tag(name), nsmap={None: self.namespace})
        self.fill(root, value, self.models.global_element_types(name))
        return root

    def content(self, parent: etree._Element, content: Mapping[str, Any]) -> etree._Element:
        """`<Content>` of an archive unit under `parent`."""
        return self.element(parent, "Content", content, (CONTENT_TYPE,))

    def management(self, parent: etree._Element, management: Mapping[str, Any]) -> etree._Element:
        """`<Management>` of an archive unit under `parent`."""
        return self.element(parent, "Management", management, (MANAGEMENT_TYPE,))

    def element(
        self, parent: etree._Element, name: str, value: Any, types: tuple[TypeKey, ...] = ()
    ) -> etree._Element:
        """One element named `name` under `parent`, holding `value` (text or a dictionary)."""
        node = etree.SubElement(parent, self.tag(name))
        if isinstance(value, Mapping):
            self.fill(node, value, types)
        else:
            node.text = text_of(value)
        return node

    def fill(self, node: etree._Element, value: Mapping[str, Any], types: tuple[TypeKey, ...]) -> None:
        """Attributes, text and children of `node` from a dictionary, children in schema order."""
        declared = self.models.children(types) if types else {}
        children: dict[str, Any] = {}
        variants: dict[str, Mapping[str, Any]] = {}
        for key, item in value.items():
            if key.startswith("@"):
                node.set(attribute_name(key[1:]), text_of(item))
            elif key == "#text":
                node.text = text_of(item)
            elif key.endswith(LANGUAGE_SUFFIX) and isinstance(item, Mapping):
                variants[key[: -len(LANGUAGE_SUFFIX)]] = item
            else:
                children[key] = item
        if RULES in children and RULES not in declared:
            self._rules(node, children.pop(RULES), declared)
        for name in ordered(list(dict.fromkeys([*children, *variants])), declared):
            child_types = declared.get(name, ())
            plain = as_list(children.get(name))
            languages = variants.get(name)
            if languages is not None and plain == [_preferred(_texts(languages))]:
                plain = []  # the forward mapping's copy of one variant, not a value of its own
            for item in plain:
                self.element(node, name, item, child_types)
            for language, texts in (languages or {}).items():
                for text in as_list(texts):
                    self.element(node, name, text).set(XML_LANG, language)

    def _rules(self, node: etree._Element, rules: Any, declared: Mapping[str, tuple[TypeKey, ...]]) -> None:
        """`Rule, StartDate?, ...` pairs: each rule's fields in the order the category declares."""
        for rule in as_list(rules):
            fields = rule if isinstance(rule, Mapping) else {"Rule": rule}
            for name in ordered(list(fields), declared):
                for item in as_list(fields[name]):
                    self.element(node, name, item, declared.get(name, ()))


def ordered(names: list[str], declared: Mapping[str, Any]) -> list[str]:
    """Declared names in declaration order, then the undeclared ones as they came."""
    position = {name: index for index, name in enumerate(declared)}
    known = sorted((name for name in names if name in position), key=position.__getitem__)
    return known + [name for name in names if name not in position]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _texts(languages: Mapping[str, Any]) -> dict[str, list[str]]:
    return {language: [text_of(text) for text in as_list(texts)] for language, texts in languages.items()}


def attribute_name(name: str) -> str:
    return f"{{{XML_NAMESPACE}}}{name}" if name in XML_ATTRIBUTES else name


def text_of(value: Any) -> str:
    """The XML text of a JSON value; characters XML 1.0 cannot carry are left out."""
    text = ("true" if value else "false") if isinstance(value, bool) else "" if value is None else str(value)
    return "".join(ch for ch in text if ch in "\t\n\r" or (ch >= "\x20" and ch not in "\ufffe\uffff"))


def content_element(version: str, content: Mapping[str, Any]) -> etree._Element:
    """A standalone `<Content>` (for tests and tools); see `MetadataWriter.content`."""
    writer = MetadataWriter(version)
    holder = etree.Element(writer.tag("ArchiveUnit"), nsmap={None: writer.namespace})
    return writer.content(holder, content)


def management_element(version: str, management: Mapping[str, Any]) -> etree._Element:
    """A standalone `<Management>`; see `MetadataWriter.management`."""
    writer = MetadataWriter(version)
    holder = etree.Element(writer.tag("ArchiveUnit"), nsmap={None: writer.namespace})
    return writer.management(holder, management)
