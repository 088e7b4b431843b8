"""The SEDA XSDs bundled in the package, compiled offline.

The official schemas import the W3C `xml.xsd` and `xlink.xsd` by URL; a resolver maps
those URLs to the copies shipped beside them, so validation never touches the network.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

XSD_ROOT = Path(__file__).parent / "xsd"
SUPPORTED_VERSIONS = ("2.1", "2.2", "2.3")

_W3C = {
    "http://www.w3.org/2001/xml.xsd": "xml.xsd",
    "http://www.w3.org/1999/xlink.xsd": "xlink.xsd",
}


class _LocalW3CResolver(etree.Resolver):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        local = _W3C.get(system_url)
        if local is not None:
            return self.resolve_filename(str(self.folder / local), context)
        return None


_lock = threading.RLock()


@cache
def _compile(version: str) -> etree.XMLSchema:
    folder = XSD_ROOT / version
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalW3CResolver(folder))
    document = etree.parse(str(folder / f"seda-{version}-main.xsd"), parser)
    return etree.XMLSchema(document)


def seda_schema(version: str) -> etree.XMLSchema:
    """The compiled official XSD of a SEDA version ("2.1", "2.2" or "2.3").

    Compiled once per process; `XMLSchema.validate` is not thread-safe in lxml, so callers
    validate under `schema_lock()`.
    """
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported SEDA version {version!r}")
    with _lock:
        return _compile(version)


def schema_lock() -> threading.RLock:
    return _lock
