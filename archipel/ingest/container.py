"""The layout of an unpacked SIP: one manifest at the root, one content folder beside it.

Rules of the reference SAE, so that a SIP accepted by Vitam is accepted here and the other
way round:

* `MANIFEST_FILE_NAME_CHECK` (Vitam's `IngestExternalImpl`): a file at the root must be
  named by `VitamConstants.MANIFEST_FILE_NAME_REGEX`, i.e. `manifest.xml`, optionally after
  up to 56 ASCII letters, digits, `_` or `-` and then a `_` or `-` (`Lot1_manifest.xml`,
  `MonNouveau-manifest.xml`). The match is case-sensitive, as Java's `String.matches` is:
  `Manifest.xml` is refused. (Vitam's pattern leaves the dot unescaped; here it is a dot.)
* `CHECK_SEDA.CONTAINER_FORMAT.FILE` (Vitam's `SedaUtils.checkMultiManifest`): more than
  one file at the root, whatever its kind.
* `CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY` (`SedaUtils.checkFolderContentNumber`): a root
  folder other than the content folder, named `Content` in any case (`content/` is
  common). Two spellings of it (`Content/` and `content/`) are two folders and refused
  too: on a case-sensitive disk they are not the same place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from archipel.ingest.findings import Finding, ko

MANIFEST_NAME = re.compile(r"(?:[A-Za-z0-9_\-]{0,56}[_-])?manifest\.xml")
CONTENT_FOLDER = "content"


@dataclass
class ContainerLayout:
    manifest: str | None
    """The root file taken as the manifest (`manifest.xml` when there is one)."""
    content_folder: str | None
    """The content folder as spelled in the ZIP (`Content`, `content`), None for a SIP without files."""
    findings: list[Finding] = field(default_factory=list)


def check_container_layout(files: Iterable[str]) -> ContainerLayout:
    """Checks ZIP entry names (posix; folder entries ending in `/` are accepted and ignored
    unless they introduce a root folder)."""
    names = sorted(set(files))
    root_files = [name for name in names if "/" not in name]
    root_folders = sorted({name.split("/", 1)[0] for name in names if "/" in name})
    manifest = _manifest(root_files)
    content_folders = [folder for folder in root_folders if folder.lower() == CONTENT_FOLDER]
    findings: list[Finding] = []
    if manifest is None:
        found = ", ".join(root_files) or "no file at all"
        findings.append(
            ko(
                "MANIFEST_FILE_NAME_CHECK",
                "no manifest at the root of the SIP: expected manifest.xml or PREFIX_manifest.xml "
                f"(found at the root: {found})",
            )
        )
    for name in root_files:
        if manifest is not None and name != manifest:
            findings.append(
                ko(
                    "CHECK_SEDA",
                    f"{name!r}: a SIP holds only its manifest at the root, the rest goes in Content/",
                    "CONTAINER_FORMAT.FILE",
                    name,
                )
            )
    for folder in root_folders:
        if folder not in content_folders[:1]:
            findings.append(
                ko(
                    "CHECK_SEDA",
                    f"folder {folder!r}: a SIP has one content folder, named Content",
                    "CONTAINER_FORMAT.DIRECTORY",
                    folder,
                )
            )
    return ContainerLayout(manifest, content_folders[0] if content_folders else None, findings)


def _manifest(root_files: list[str]) -> str | None:
    """`manifest.xml` if present, else the first root file with an accepted manifest name."""
    candidates = [name for name in root_files if MANIFEST_NAME.fullmatch(name)]
    if "manifest.xml" in candidates:
        return "manifest.xml"
    return candidates[0] if candidates else None
