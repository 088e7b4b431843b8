"""Reading an `ArchiveTransfer` manifest into the domain model (`archipel.seda.model`).

The tree is expected to have passed XSD validation, possibly against a relaxed schema
like the reference system's, which lets producers add extension elements: elements
this reader does not know are ignored in the structure and kept in the JSON metadata.
Nothing is judged here; the checks (`archipel.ingest.package_checks`) read the result,
so a faulty manifest is described completely before anything decides about it.

Both SEDA 2.1 ways of grouping objects are read, even mixed in one manifest (the
reference SIP `OK_SIP_FULL_SEDA2.1` does):

* a `DataObjectGroup` element enclosing its objects (the 2.1+ way, the only one in 2.2+);
* objects directly under `DataObjectPackage` naming their group with
  `DataObjectGroupId` (first object) or `DataObjectGroupReferenceId` (the next ones);
  the group exists only through these names.

An object in a `DataObjectGroup` belongs to it even if it also names another group id,
and an object with no group at all gets a group of its own, whose id is the object's
(Vitam creates one the same way, see `OK_SIP_MANIFESTE-OBJET-SANS-GOT`).

Units form a graph: a unit's children are the `ArchiveUnit`s nested in it and the units
named by nested `<ArchiveUnit><ArchiveUnitRefId>` references. Such a reference element is
a pointer, not a unit of its own, though it has an id other references may name.
"""

from __future__ import annotations

from lxml import etree

from archipel.seda.content import child_elements, children_json, content_json, local_name, management_json
from archipel.seda.model import SEDA_NAMESPACES, ArchiveUnit, DataObject, Digest, Manifest, ObjectGroup
from archipel.seda.xml import parse_untrusted

DEFAULT_USAGE = {"binary": "BinaryMaster", "physical": "PhysicalMaster"}
"""The usage of an object whose `DataObjectVersion` is omitted (optional in SEDA 2.1):
the master of its kind, which is what a producer leaving it out means (the reference
system accepts `OK_SIP_MANIFESTE-OBJET-SANS-GOT`, whose only object has none)."""

OBJECT_KINDS = {"BinaryDataObject": "binary", "PhysicalDataObject": "physical"}
GROUP_NAMING = ("DataObjectGroupId", "DataObjectGroupReferenceId")
OBJECT_FIELDS = ("DataObjectVersion", "Uri", "MessageDigest", "Size", *GROUP_NAMING)
"""Children of an object read into `DataObject` fields; the rest goes to its `metadata`."""

XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def read_manifest(tree: etree._ElementTree, seda_version: str) -> Manifest:
    """The manifest of a validated tree; `seda_version` as validation established it."""
    reader = _ManifestReader(tree.getroot())
    return reader.read(seda_version)


def read_manifest_bytes(data: bytes) -> Manifest:
    """Parses an untrusted manifest and reads it, its version taken from its namespace.

    For tools and tests that hold a manifest outside the ingest workflow (which reads the
    tree its validation step returns). Raises `ValueError` for a namespace that is not a
    supported SEDA version and `etree.XMLSyntaxError` for a document that is not XML.
    """
    tree = parse_untrusted(data)
    namespace = etree.QName(tree.getroot()).namespace or ""
    if namespace not in SEDA_NAMESPACES:
        raise ValueError(f"not a supported SEDA namespace: {namespace!r}")
    return read_manifest(tree, SEDA_NAMESPACES[namespace])


class _ManifestReader:
    """Walks one `ArchiveTransfer`; structural elements are looked up in its namespace."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.namespace = etree.QName(root).namespace
        self.aliases: dict[str, str] = {}
        """Id of a reference element → the id it names (references may name references)."""

    def tag(self, name: str) -> str:
        return str(etree.QName(self.namespace, name)) if self.namespace else name

    def find(self, element: etree._Element | None, path: str) -> etree._Element | None:
        """The first element at a `/`-separated path of local names, or None."""
        for name in path.split("/"):
            if element is None:
                return None
            element = element.find(self.tag(name))
        return element

    def text(self, element: etree._Element | None, path: str) -> str | None:
        """Stripped text at a path: None when the element is absent, `""` when empty."""
        found = self.find(element, path)
        return (found.text or "").strip() if found is not None else None

    def children(self, element: etree._Element, name: str) -> list[etree._Element]:
        return element.findall(self.tag(name))

    def read(self, seda_version: str) -> Manifest:
        root = self.root
        package = self.find(root, "DataObjectPackage")
        management_metadata = self.find(package, "ManagementMetadata")
        manifest = Manifest(
            seda_version=seda_version,
            message_identifier=self.text(root, "MessageIdentifier") or "",
            date=self.text(root, "Date"),
            comment=self.text(root, "Comment"),
            archival_agreement=self.text(root, "ArchivalAgreement"),
            archival_profile=self.text(management_metadata, "ArchivalProfile"),
            archival_agency=self.text(root, "ArchivalAgency/Identifier"),
            transferring_agency=self.text(root, "TransferringAgency/Identifier"),
            originating_agency=self.text(management_metadata, "OriginatingAgencyIdentifier"),
            submission_agency=self.text(management_metadata, "SubmissionAgencyIdentifier"),
            management_metadata=management_json(management_metadata),
        )
        if package is not None:
            self.read_objects(package, manifest)
            descriptive = self.find(package, "DescriptiveMetadata")
            if descriptive is not None:
                for element in self.children(descriptive, "ArchiveUnit"):
                    self.read_unit(element, manifest)
        for unit in manifest.units.values():
            unit.children = [self.resolve(child, manifest) for child in unit.children]
        referenced = {child for unit in manifest.units.values() for child in unit.children}
        manifest.roots = [unit_id for unit_id in manifest.units if unit_id not in referenced]
        return manifest

    def read_objects(self, package: etree._Element, manifest: Manifest) -> None:
        for element in child_elements(package):
            name = local_name(element)
            if name == "DataObjectGroup" and etree.QName(element).namespace == self.namespace:
                group_id = _identifier(element)
                manifest.groups.setdefault(group_id, ObjectGroup(group_id))
                for member in child_elements(element):
                    self.read_object(member, manifest, group_id)
            else:
                self.read_object(element, manifest, None)

    def read_object(self, element: etree._Element, manifest: Manifest, enclosing_group: str | None) -> None:
        kind = OBJECT_KINDS.get(local_name(element))
        if kind is None or etree.QName(element).namespace != self.namespace:
            return
        object_id = _identifier(element)
        named_groups = (self.text(element, name) for name in GROUP_NAMING)
        group_id = enclosing_group or next((name for name in named_groups if name), None) or object_id
        manifest.objects[object_id] = DataObject(
            manifest_id=object_id,
            kind=kind,
            group_id=group_id,
            version=self.text(element, "DataObjectVersion") or DEFAULT_USAGE[kind],
            uri=self.text(element, "Uri"),
            digest=self.digest(element),
            size=_integer(self.text(element, "Size")),
            format_id=self.text(element, "FormatIdentification/FormatId"),
            mime_type=self.text(element, "FormatIdentification/MimeType"),
            format_literal=self.text(element, "FormatIdentification/FormatLitteral"),
            filename=self.text(element, "FileInfo/Filename"),
            physical_id=self.text(element, "PhysicalId"),
            metadata=children_json(element, skip=OBJECT_FIELDS),
        )
        manifest.groups.setdefault(group_id, ObjectGroup(group_id)).object_ids.append(object_id)

    def digest(self, element: etree._Element) -> Digest | None:
        found = self.find(element, "MessageDigest")
        return Digest(found.get("algorithm", ""), (found.text or "").strip()) if found is not None else None

    def read_unit(self, element: etree._Element, manifest: Manifest) -> str | None:
        """Reads a unit and the units nested in it; returns the id of the unit it names.

        That is its own id, or, for a reference element, the id it points to (None when
        the reference is empty).
        """
        reference = self.find(element, "ArchiveUnitRefId")
        if reference is not None:
            target = (reference.text or "").strip()
            if _identifier(element) and target:
                self.aliases[_identifier(element)] = target
            return target or None
        unit_id = _identifier(element)
        management = self.find(element, "Management")
        unit = ArchiveUnit(
            manifest_id=unit_id,
            content=content_json(self.find(element, "Content")),
            management=management_json(management),
            attachment_system_id=self.text(management, "UpdateOperation/SystemId"),
            archive_unit_profile=self.text(element, "ArchiveUnitProfile"),
        )
        manifest.units[unit_id] = unit
        for reference_element in self.children(element, "DataObjectReference"):
            unit.object_refs.extend(
                (target.text or "").strip()
                for target in child_elements(reference_element)
                if local_name(target) in ("DataObjectGroupReferenceId", "DataObjectReferenceId")
            )
        for nested in self.children(element, "ArchiveUnit"):
            child_id = self.read_unit(nested, manifest)
            if child_id is not None:
                unit.children.append(child_id)
        return unit_id

    def resolve(self, unit_id: str, manifest: Manifest) -> str:
        """The unit a child id designates, following reference elements (`ArchiveUnitRefId`
        may name another reference element, as `WARNING_SIP_sans_objet` does); an id that
        leads to no unit is returned as written, for the checks to report."""
        seen = {unit_id}
        target = unit_id
        while target not in manifest.units and target in self.aliases:
            target = self.aliases[target]
            if target in seen:
                return unit_id
            seen.add(target)
        return target if target in manifest.units else unit_id


def _identifier(element: etree._Element) -> str:
    """The manifest id: SEDA's `id` attribute (`xml:id` on a few elements)."""
    return (element.get("id") or element.get(XML_ID) or "").strip()


def _integer(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
