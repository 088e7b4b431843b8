"""SEDA metadata blocks (`Content`, `Management`, object metadata) as JSON-ready dictionaries.

The shape is the one `archipel.seda.model` documents and the reference system indexes:
element local names as keys, a repeated element as a list, text as strings, attributes
as `"@name"` keys (the text then under `"#text"`), and `xml:lang` variants of a text
element as `{"Title_": {"fr": ...}}`. Elements this code does not know, such as
producers' extension elements (Vitam's relaxed schema accepts them), are kept the same
way rather than dropped: a description is never silently shortened.

Two SEDA habits need more than the generic mapping:

* a rule category (`AccessRule`, `HoldRule`...) is a flat sequence `Rule, StartDate?,
  Rule, StartDate?...` where position pairs each rule with its start date; it becomes
  `{"Rules": [{"Rule": ..., "StartDate": ...}], ...}` as in Vitam, so the pairing survives;
* a date-only value with a time zone (`2016-09-26Z`, valid `xsd:date`) is stored as the
  plain date `2016-09-26`, as Vitam does (see the fixture `OK_DATE_SHOULD_TRANSFORM_PASS`);
  any other text is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEFAULT_LANGUAGE = "fr"
"""The language whose variant stands for the element when none is written without
`xml:lang` (Vitam's `findTextTypeByLang` uses the platform default, French)."""

RULE_CATEGORIES: tuple[str, ...] = (
    "AccessRule",
    "AppraisalRule",
    "ClassificationRule",
    "DisseminationRule",
    "HoldRule",
    "ReuseRule",
    "StorageRule",
)
RULE_FIELDS: frozenset[str] = frozenset(
    {"StartDate", "HoldEndDate", "HoldOwner", "HoldReassessingDate", "HoldReason", "PreventRearrangement"}
)
"""Elements that follow a `Rule` and belong to it; the others (`PreventInheritance`,
`RefNonRuleId`, `FinalAction`, `ClassificationLevel`...) belong to the whole category."""

_DATE_WITH_ZONE = re.compile(r"^\s*(\d{4,}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})\s*$")

Converter = Callable[[etree._Element], Any]


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def child_elements(element: etree._Element) -> Iterable[etree._Element]:
    """Element children only: comments and processing instructions are not metadata."""
    return (child for child in element if isinstance(child.tag, str))


def is_leaf(element: etree._Element) -> bool:
    return next(iter(child_elements(element)), None) is None


def normalise_date(name: str, text: str) -> str:
    """`2016-09-26Z` → `2016-09-26` for date elements (`...Date`); other text unchanged."""
    if name.endswith("Date"):
        match = _DATE_WITH_ZONE.match(text)
        if match:
            return match.group(1)
    return text


def element_json(element: etree._Element) -> Any:
    """One element: its text (a leaf without attributes), or a dictionary."""
    name = local_name(element)
    attributes = {f"@{etree.QName(key).localname}": value for key, value in element.attrib.items()}
    if is_leaf(element):
        text = normalise_date(name, element.text or "")
        return {**attributes, "#text": text} if attributes else text
    result = {**attributes, **children_json(element)}
    if element.text and element.text.strip():
        result["#text"] = element.text
    return result


def children_json(
    parent: etree._Element, convert: Converter = element_json, skip: Iterable[str] = ()
) -> dict[str, Any]:
    """The children of `parent` by local name, except those named in `skip`."""
    ignored = set(skip)
    return elements_json(
        [child for child in child_elements(parent) if local_name(child) not in ignored], convert
    )


def elements_json(elements: Iterable[etree._Element], convert: Converter = element_json) -> dict[str, Any]:
    """Sibling elements by local name, in document order of first appearance.

    A text element carrying `xml:lang` goes to `Name_` by language; when no variant is
    written without a language, `Name` still holds one (French if present, else the last),
    so every title can be read at `Title` as in the reference system.
    """
    plain: dict[str, list[Any]] = {}
    by_language: dict[str, dict[str, list[str]]] = {}
    for child in elements:
        name = local_name(child)
        language = child.get(XML_LANG)
        if language is not None and is_leaf(child):
            texts = by_language.setdefault(name, {}).setdefault(language, [])
            texts.append(normalise_date(name, child.text or ""))
            plain.setdefault(name, [])
        else:
            plain.setdefault(name, []).append(convert(child))
    result: dict[str, Any] = {}
    for name, values in plain.items():
        variants = by_language.get(name)
        if values:
            result[name] = _one_or_many(values)
        elif variants:
            result[name] = _preferred(variants)
        if variants:
            result[f"{name}_"] = {language: _one_or_many(texts) for language, texts in variants.items()}
    return result


def content_json(content: etree._Element | None) -> dict[str, Any]:
    """`ArchiveUnit/Content`, the descriptive metadata."""
    return children_json(content) if content is not None else {}


def management_json(management: etree._Element | None) -> dict[str, Any]:
    """`ArchiveUnit/Management` or `ManagementMetadata`, with rules paired to their dates."""
    return children_json(management, _management_child) if management is not None else {}


def rule_category_json(category: etree._Element) -> dict[str, Any]:
    """`<AccessRule><Rule>A</Rule><StartDate>d</StartDate><Rule>B</Rule>...` →
    `{"Rules": [{"Rule": "A", "StartDate": "d"}, {"Rule": "B"}], ...}`."""
    rules: list[dict[str, Any]] = []
    others: list[etree._Element] = []
    for child in child_elements(category):
        name = local_name(child)
        if name == "Rule":
            rules.append({"Rule": element_json(child)})
        elif name in RULE_FIELDS and rules:
            rules[-1][name] = element_json(child)
        else:
            others.append(child)
    return {"Rules": rules, **elements_json(others)}


def _management_child(element: etree._Element) -> Any:
    if local_name(element) in RULE_CATEGORIES:
        return rule_category_json(element)
    return element_json(element)


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _preferred(variants: dict[str, list[str]]) -> str:
    for language, texts in variants.items():
        if language.lower() == DEFAULT_LANGUAGE:
            return texts[0]
    return list(variants.values())[-1][-1]
