"""The leaf values of a unit description (`Content`), with where each one sits.

Both search indexes (`unit_fields` for criteria, `unit_text` for full text) are built from
the same walk, so a field found by one is named the same way in the other. The walk follows
the JSON shape of archipel.seda.content: element names as keys, a repeated element as a list,
attributes as `@name` keys with the element's own text under `#text`.

Each leaf also carries its *element*: the path down to the object that holds it, with a
position after every element name (0 when the element is not repeated), written on a fixed
width. With fixed widths, the instance of any element `P` (`Keyword`, `Writer`...) a value
belongs to is the first `len(P) + segments(P) * (POSITION_WIDTH + 1)` characters of its
element, a plain `substr` on both engines: that is how `$subobject` tells "a Keyword whose
type is geogname and whose content is Paris" from two different keywords.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

POSITION_WIDTH = 6
"""Digits of a position in `element`: up to a million repetitions of one element per unit."""

TEXT_KEY = "#text"
ATTRIBUTE_PREFIX = "@"


@dataclass(frozen=True)
class Leaf:
    path: str
    """Element names from `Content` down, dot-separated, positions left out."""
    element: str
    """The object holding the value, with fixed-width positions: `Keyword.000002`."""
    value: str
    is_attribute: bool


def position(index: int) -> str:
    return f"{index:0{POSITION_WIDTH}d}"


def element_prefix_length(path: str) -> int:
    """Characters of `element` that name one instance of the element at `path` (see module doc)."""
    segments = path.split(".")
    return len(path) + len(segments) * (POSITION_WIDTH + 1)


def content_leaves(content: dict[str, Any]) -> Iterator[Leaf]:
    """Every leaf value of a description, in document order."""
    yield from _object_leaves(content, "", "")


def _object_leaves(node: dict[str, Any], path: str, element: str) -> Iterator[Leaf]:
    for key, value in node.items():
        if key == TEXT_KEY:
            if path:  # a stray `#text` at the root has no element to belong to
                yield from _scalar_leaf(value, path, element, is_attribute=False)
            continue
        child_path = f"{path}.{key}" if path else key
        if key.startswith(ATTRIBUTE_PREFIX):
            yield from _scalar_leaf(value, child_path, element, is_attribute=True)
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            child_element = f"{element}.{key}.{position(index)}" if element else f"{key}.{position(index)}"
            if isinstance(item, dict):
                yield from _object_leaves(item, child_path, child_element)
            elif isinstance(item, list):  # a list in a list: not a SEDA shape, flattened
                for nested in item:
                    yield from _scalar_leaf(nested, child_path, child_element, is_attribute=False)
            else:
                yield from _scalar_leaf(item, child_path, child_element, is_attribute=False)


def _scalar_leaf(value: Any, path: str, element: str, is_attribute: bool) -> Iterator[Leaf]:
    text = scalar_text(value)
    if text is not None:
        yield Leaf(path, element, text, is_attribute)


def scalar_text(value: Any) -> str | None:
    """A JSON scalar as the text it was in the XML; None (no value) for null and containers."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
