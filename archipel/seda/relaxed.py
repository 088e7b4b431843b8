"""The SEDA schema as the reference system applies it: official XSD, extension points open.

SEDA marks where producers may extend a manifest with abstract elements meant to be
replaced by substitution (`ObjectGroupExtenstionAbstract` at the end of an archive unit's
`Content`, `OtherManagementAbstract`, `OtherCodeListAbstract`, `OtherDimensionsAbstract`,
`OtherCoreTechnicalMetadataAbstract`, `ArchiveUnitReferenceAbstract`, `EventAbstract`).
No substitute is ever declared, so the official XSD rejects every extension. Vitam's
`CHECK_SEDA` validates instead against a variant (XSD 1.1, Xerces) where each extension
point is `xsd:any processContents="lax"`; real SIPs rely on it (free elements such as
`<titi>`, `<Arrangement>`, SEDA 2.2/2.3 elements such as `HoldRule` or
`PersistentIdentifier` written after the SEDA 2.1 elements of a unit).

Vitam's variant cannot be compiled by libxml2 (XSD 1.0): a wildcard that admits SEDA's
own namespace competes with the optional SEDA elements before it (Unique Particle
Attribution). And what Vitam accepts is narrower than "anything at the end": it refuses
`<PhysicalDimensions>` after an unknown `<InvalidSEDA>` (`KO_2216_CA2_non_conforme_SEDA`)
and `<AuthorizationReasonCodeListVersion>` after the 2.2-only `<HoldRuleCodeListVersion>`
in a 2.1 header (`SIP_2.1_WITH_FIELD_2.2`): an extension point never takes in an element
that SEDA declares at that place. XSD 1.1 spells this wildcard
`notQName="##definedSibling"`; Archipel expresses it in XSD 1.0 in two halves:

* **the instance**: an *extension element* is an element that the content model of its
  parent does not declare (found by walking the manifest along the schema's declared
  types). Validation runs on a copy (`ExtensionView`) where every extension element,
  with its subtree, is moved into the reserved namespace `EXTENSION_NAMESPACE` (an
  element in a foreign namespace is an extension element too). The children of the
  technical-metadata elements typed `OpenType` (`<Image>`, `<Audio>`, `<Extended>`...),
  which declares none, are all extension elements and match its own `##other` wildcard;
* **the schema**: derived at load time from the bundled official XSD. Each abstract
  extension point becomes `xsd:any namespace=EXTENSION_NAMESPACE processContents="skip"`
  with the same occurrences. A wildcard on a namespace that no SEDA element uses is
  deterministic, so the schema compiles, and an extension element is accepted exactly
  where SEDA placed an extension point; anywhere else it stays invalid, and a SEDA
  element can never be smuggled in through a wildcard.

Two more derivations, both defects the official schemas leave to implementers:

* SEDA 2.1's `AgentAbstract` (typed `AgentType`) is resolved as SEDA 2.2 resolved it: the
  concrete element `Agent` of the same type at the same place (Vitam reads 2.1 manifests
  the same way). It cannot become a wildcard: with the wildcard closing `Content`, two
  open points would compete for one extension element;
* an abstract complex type used directly as an element's type (SEDA 2.3's `Extended`,
  of type `OpenType`) makes that element impossible to write; the type is made concrete
  (this also concerns one reply-message type, never an `ArchiveTransfer` element).

Everything else, order, cardinalities, datatypes, is the official schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from archipel.seda.model import SEDA_NAMESPACES
from archipel.seda.schema import XSD_ROOT, _LocalW3CResolver, schema_lock

EXTENSION_NAMESPACE = "urn:x-archipel:seda:extension"
"""The namespace of extension elements in the validation copy of a manifest; an element a
manifest itself writes in it is an extension element like any other."""

XSD = "http://www.w3.org/2001/XMLSchema"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

RESOLVED_EXTENSION_POINTS = {"AgentAbstract": ("Agent", "AgentType")}
"""Abstract heads replaced by the concrete element later SEDA versions put in their place."""

TypeKey = str
"""A SEDA complex type: its name, or a generated key for an anonymous one."""


def _xs(name: str) -> str:
    return f"{{{XSD}}}{name}"


def _local(qualified: str) -> str:
    return qualified.rpartition(":")[2]


def _elements(node: etree._Element) -> Iterable[etree._Element]:
    """Child elements, without the comments official schemas use to disable parts."""
    return (child for child in node if isinstance(child.tag, str))


class ContentModels:
    """Which child elements each SEDA complex type declares, and with which types.

    Read from the XSD documents themselves (the compiled `XMLSchema` exposes nothing) and
    kept as plain data, so the walk of a manifest knows, at each element, which names are
    SEDA's own there.
    """

    def __init__(self, documents: Iterable[etree._Element], namespace: str) -> None:
        reader = _SchemaReader(list(documents), namespace)
        self.namespace = namespace
        self._children = reader.content_models()
        self._globals = reader.global_element_types()
        self._named = reader.named_complex_types()

    def global_element_types(self, name: str) -> tuple[TypeKey, ...]:
        return self._globals.get(name, ())

    def complex_type(self, name: str) -> TypeKey | None:
        return name if name in self._named else None

    def children(self, types: tuple[TypeKey, ...]) -> Mapping[str, tuple[TypeKey, ...]]:
        """Child names declared by any of `types`, each with the types it may have."""
        if len(types) == 1:
            return self._children[types[0]]
        merged: dict[str, tuple[TypeKey, ...]] = {}
        for type_key in types:
            for name, child_types in self._children[type_key].items():
                merged[name] = tuple(dict.fromkeys(merged.get(name, ()) + child_types))
        return merged


class _SchemaReader:
    """Resolves element declarations, groups and type derivations of one SEDA schema."""

    def __init__(self, documents: list[etree._Element], namespace: str) -> None:
        self.namespace = namespace
        self.types: dict[str, etree._Element] = {}
        self.groups: dict[str, etree._Element] = {}
        self.globals: dict[str, etree._Element] = {}
        registries = {
            _xs("complexType"): self.types,
            _xs("simpleType"): self.types,
            _xs("group"): self.groups,
            _xs("element"): self.globals,
        }
        for root in documents:
            for node in _elements(root):
                if node.tag in registries:
                    registries[node.tag][node.get("name")] = node
        self.keys: dict[etree._Element, TypeKey] = {}
        for root in documents:
            for node in root.iter(_xs("complexType")):
                self.keys[node] = node.get("name") or f"anonymous-{len(self.keys)}"

    def content_models(self) -> dict[TypeKey, dict[str, tuple[TypeKey, ...]]]:
        models = {}
        for node, key in self.keys.items():
            declared: dict[str, tuple[TypeKey, ...]] = {}
            self._collect(node, declared)
            models[key] = declared
        return models

    def global_element_types(self) -> dict[str, tuple[TypeKey, ...]]:
        return {name: self._types_of(node) for name, node in self.globals.items()}

    def named_complex_types(self) -> frozenset[str]:
        return frozenset(name for name, node in self.types.items() if node.tag == _xs("complexType"))

    def _collect(self, node: etree._Element, into: dict[str, tuple[TypeKey, ...]]) -> None:
        for particle in _elements(node):
            tag = particle.tag
            if tag == _xs("element"):
                self._collect_element(particle, into)
            elif tag == _xs("group") and particle.get("ref"):
                self._collect(self.groups[_local(particle.get("ref"))], into)
            elif tag in (_xs("sequence"), _xs("choice"), _xs("all"), _xs("complexContent")):
                self._collect(particle, into)
            elif tag in (_xs("extension"), _xs("restriction")):
                base = self._named_type(particle.get("base", ""), particle)
                if tag == _xs("extension") and base is not None:
                    self._collect(base, into)
                self._collect(particle, into)

    def _collect_element(self, particle: etree._Element, into: dict[str, tuple[TypeKey, ...]]) -> None:
        if particle.get("name"):
            declarations = [(particle.get("name"), particle)]
        else:
            head = _local(particle.get("ref", ""))
            declarations = [(head, self.globals[head])] if head in self.globals else []
            declarations += [
                (name, node)
                for name, node in self.globals.items()
                if _local(node.get("substitutionGroup", "")) == head
            ]
        for name, declaration in declarations:
            if declaration.get("abstract") != "true":
                into[name] = tuple(dict.fromkeys(into.get(name, ()) + self._types_of(declaration)))

    def _types_of(self, declaration: etree._Element) -> tuple[TypeKey, ...]:
        if declaration.get("type"):
            named = self._named_type(declaration.get("type"), declaration)
        else:
            named = declaration.find(_xs("complexType"))
        return (self.keys[named],) if named is not None else ()

    def _named_type(self, qualified: str, context: etree._Element) -> etree._Element | None:
        """The complex type a `prefix:Name` reference (in `context`'s scope) names."""
        prefix, _, local = qualified.rpartition(":")
        if context.nsmap.get(prefix or None) != self.namespace:
            return None
        node = self.types.get(local)
        return node if node is not None and node.tag == _xs("complexType") else None


@dataclass(frozen=True)
class ExtensionView:
    """The validation copy of a manifest, extension elements moved to their namespace."""

    root: etree._Element
    namespace: str

    def element_at(self, line: int, local_name: str) -> etree._Element | None:
        """The element a validation error points at (libxml2 gives its line and name)."""
        for element in self.root.iter(etree.Element):
            if element.sourceline == line and etree.QName(element).localname == local_name:
                return element
        return None


@dataclass(frozen=True)
class RelaxedSchema:
    version: str
    namespace: str
    schema: etree.XMLSchema
    models: ContentModels

    def extension_view(self, view: etree._Element) -> ExtensionView:
        """Moves the elements that their parent does not declare to `EXTENSION_NAMESPACE`.

        `view` is modified: pass a private parse of the manifest (a `deepcopy` would lose
        the line numbers past 65535 that libxml2 keeps aside, and errors cite them).
        """
        name = etree.QName(view)
        types = self.models.global_element_types(name.localname) if name.namespace == self.namespace else ()
        pending = [(view, types)]
        while pending:
            element, element_types = pending.pop()
            declared = self.models.children(element_types)
            for child in _elements(element):
                child_name = etree.QName(child)
                child_types = (
                    declared.get(child_name.localname) if child_name.namespace == self.namespace else None
                )
                if child_types is None:
                    _move_to_extension_namespace(child)
                else:
                    pending.append((child, self._instance_types(child, child_types)))
        return ExtensionView(view, self.namespace)

    def _instance_types(self, element: etree._Element, declared: tuple[TypeKey, ...]) -> tuple[TypeKey, ...]:
        """The declared types, or the one an `xsi:type` attribute substitutes for them."""
        substituted = element.get(XSI_TYPE)
        if not substituted:
            return declared
        prefix, _, local = substituted.rpartition(":")
        if element.nsmap.get(prefix or None) != self.namespace:
            return declared
        named = self.models.complex_type(local)
        return (named,) if named is not None else declared


def _move_to_extension_namespace(element: etree._Element) -> None:
    for node in element.iter(etree.Element):
        node.tag = f"{{{EXTENSION_NAMESPACE}}}{etree.QName(node).localname}"


def relaxed_schema(version: str) -> RelaxedSchema:
    """The relaxed schema of a SEDA version, derived and compiled once per process.

    Like `archipel.seda.schema.seda_schema`, validate under `schema_lock()`.
    """
    with schema_lock():
        return _derive(version)


@cache
def _derive(version: str) -> RelaxedSchema:
    folder = XSD_ROOT / version
    namespace = next(uri for uri, known in SEDA_NAMESPACES.items() if known == version)
    documents = {path.name: _parse_schema_document(path) for path in sorted(folder.glob("seda-*.xsd"))}
    heads = {
        node.get("name")
        for root in documents.values()
        for node in root.iterchildren(_xs("element"))
        if node.get("abstract") == "true"
    }
    for root in documents.values():
        _open_extension_points(root, heads)
    _make_instantiable(documents.values())

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalW3CResolver(folder))
    parser.resolvers.add(_DerivedDocuments(folder, documents))
    main = f"seda-{version}-main.xsd"
    schema_document = etree.fromstring(etree.tostring(documents[main]), parser, base_url=str(folder / main))
    schema = etree.XMLSchema(schema_document)
    return RelaxedSchema(version, namespace, schema, ContentModels(documents.values(), namespace))


def _parse_schema_document(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False)).getroot()


def _open_extension_points(root: etree._Element, heads: set[str]) -> None:
    for reference in list(root.iter(_xs("element"))):
        head = _local(reference.get("ref", ""))
        if head in RESOLVED_EXTENSION_POINTS:
            name, type_name = RESOLVED_EXTENSION_POINTS[head]
            replacement = etree.Element(_xs("element"), name=name, type=type_name)
        elif head in heads:
            replacement = etree.Element(_xs("any"), namespace=EXTENSION_NAMESPACE, processContents="skip")
        else:
            continue
        for bound in ("minOccurs", "maxOccurs"):
            if reference.get(bound) is not None:
                replacement.set(bound, reference.get(bound))
        replacement.tail = reference.tail
        reference.getparent().replace(reference, replacement)


def _make_instantiable(roots: Iterable[etree._Element]) -> None:
    """Abstract complex types that an element declaration uses directly become concrete."""
    roots = list(roots)
    used = {
        _local(declaration.get("type"))
        for root in roots
        for declaration in root.iter(_xs("element"))
        if declaration.get("type") and declaration.get("abstract") != "true"
    }
    for root in roots:
        for type_node in root.iterchildren(_xs("complexType")):
            if type_node.get("abstract") == "true" and type_node.get("name") in used:
                del type_node.attrib["abstract"]


class _DerivedDocuments(etree.Resolver):
    """Serves the derived SEDA modules when the main schema includes them."""

    def __init__(self, folder: Path, documents: Mapping[str, etree._Element]) -> None:
        super().__init__()
        self.folder = folder
        self.documents = {name: etree.tostring(root) for name, root in documents.items()}

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        path = Path(system_url)
        if path.parent == self.folder and path.name in self.documents:
            return self.resolve_string(self.documents[path.name], context, base_url=system_url)
        return None
