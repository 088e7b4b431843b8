"""The rows of `unit_fields`: one per leaf value of a unit's description.

A criterion on any field, however nested or repeated, becomes the same indexed lookup on
`(tenant_id, path, value | folded | number)`. The value is cut to FIELD_VALUE_LENGTH so the
B-tree entries stay small; longer texts remain searchable through full text.
"""

from __future__ import annotations

import math
import re
from typing import Any

from archipel.access.leaves import content_leaves
from archipel.access.model import FIELD_PATH_LENGTH, FIELD_VALUE_LENGTH
from archipel.access.text import fold

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def as_number(text: str) -> float | None:
    """The value as a number when it is written as one (`12`, `-3.5`, `1e3`), else None.

    Dates (`2020-01-31`), identifiers with letters and empty text are not numbers: they
    compare as text.
    """
    candidate = text.strip()
    if not _NUMBER.match(candidate):
        return None
    number = float(candidate)
    return number if math.isfinite(number) else None


def unit_field_rows(content: dict[str, Any]) -> list[dict[str, Any]]:
    """`path`, `element`, `value`, `folded`, `number` of every leaf, in document order.

    Leaves under a path longer than the column (FIELD_PATH_LENGTH) are left out.
    """
    return [
        {
            "path": leaf.path,
            "element": leaf.element,
            "value": leaf.value[:FIELD_VALUE_LENGTH],
            "folded": fold(leaf.value[:FIELD_VALUE_LENGTH])[:FIELD_VALUE_LENGTH],
            "number": as_number(leaf.value),
        }
        for leaf in content_leaves(content)
        if len(leaf.path) <= FIELD_PATH_LENGTH
    ]
