"""The arguments of background work as JSON, so they can cross a task queue to another machine.

A Celery message carries the arguments of a service's `run` (an audit request, an access
scope, a mass update's actions...). Pickle would carry them without effort, but whoever can
write to the broker could then run any code on every worker; JSON cannot. This codec writes
the few shapes those arguments take, and reads back only dataclasses and enumerations
defined in Archipel's own modules: a message naming any other class is refused.

Shapes kept: None, bool, int, float, str, list, tuple, dict with string keys, date,
datetime, Path, Enum members and (frozen) dataclasses of these.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from archipel.core.errors import ArchipelError

PACKAGE = "archipel."
"""Only types of this package may be rebuilt from a message."""

_TYPE = "$type"
_VALUE = "$value"


class PayloadError(ArchipelError):
    """An argument that cannot cross the queue, or a message this codec will not rebuild."""

    code = "TASK_PAYLOAD"


def encode(value: Any) -> Any:
    """`value` as JSON-ready data; raises `PayloadError` for a shape the codec does not know."""
    if isinstance(value, enum.Enum):  # first: a StrEnum is a str too, and would lose its type
        return {_TYPE: _name_of(type(value)), _VALUE: encode(value.value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {_TYPE: "datetime", _VALUE: value.isoformat()}
    if isinstance(value, date):
        return {_TYPE: "date", _VALUE: value.isoformat()}
    if isinstance(value, Path):
        return {_TYPE: "path", _VALUE: str(value)}
    if isinstance(value, tuple):
        return {_TYPE: "tuple", _VALUE: [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {_TYPE: "map", _VALUE: {_key(key): encode(item) for key, item in value.items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {field.name: encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return {_TYPE: _name_of(type(value)), _VALUE: fields}
    raise PayloadError(f"cannot send a {type(value).__name__} to a worker: {value!r}")


def decode(data: Any) -> Any:
    """The value `encode` wrote; raises `PayloadError` on a type outside Archipel."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    kind, value = data.get(_TYPE), data.get(_VALUE)
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "path":
        return Path(value)
    if kind == "tuple":
        return tuple(decode(item) for item in value)
    if kind == "map":
        return {key: decode(item) for key, item in value.items()}
    cls = _archipel_type(kind)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(decode(value))
    return cls(**{name: decode(item) for name, item in value.items()})


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise PayloadError(f"cannot send a mapping with a {type(key).__name__} key to a worker")
    return key


def _name_of(cls: type) -> str:
    name = f"{cls.__module__}:{cls.__qualname__}"
    if not name.startswith(PACKAGE):
        raise PayloadError(f"cannot send a {name} to a worker: only Archipel's own types cross the queue")
    return name


def _archipel_type(name: object) -> type:
    """The dataclass or enumeration a message names, imported only from Archipel's modules."""
    if not isinstance(name, str) or not name.startswith(PACKAGE) or ":" not in name:
        raise PayloadError(f"a task message names an unknown type {name!r}")
    module_name, _, qualname = name.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        raise PayloadError(f"a task message names a type that does not exist: {name}") from error
    if not isinstance(found, type) or not (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)):
        raise PayloadError(f"a task message names {name}, which is neither a dataclass nor an enumeration")
    return found
