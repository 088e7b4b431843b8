"""The shared referentials every instance starts with, loaded into tenant 0 by `archipel init`.

`archipel init` runs at every `./run` and before every CLI command, so when nothing is
missing this costs two small queries and logs nothing (no operation, no version).

* **Formats**: the PRONOM formats the format identifier knows (`formats_of_identifier`),
  loaded once, when tenant 0 has never had a format referential (its version is 0).
  After that, init leaves it alone: the format referential belongs to the platform
  administrator, who may import a newer DROID signature file (or, as the reference
  system's tests do, a restricted one), and an init must never undo an import. After an
  upgrade of opf-fido brings new PUIDs, the administrator imports the formats again.
* **Ontology**: the INTERNAL fields derived from the SEDA schemas (`ontology_from_seda`).
  Every such field tenant 0 lacks is added, so a new version of Archipel that knows more
  SEDA fields brings them in; a field tenant 0 has is left as it is, even if it differs
  (the administrator may have imported the reference system's ontology, which types some
  fields KEYWORD where SEDA says TEXT).

Both go through `ReferentialService.import_file`, like any import: checked, versioned,
written to the offers and logged (the first load of the formats logs one event per format,
once in the life of the instance).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fido.versions import get_local_versions

from archipel.referential.formats import export_formats, formats_of_identifier
from archipel.referential.kinds import SHARED_TENANT
from archipel.referential.ontology import export_ontology, ontology_from_seda
from archipel.referential.repository import ReferentialRepository
from archipel.referential.service import ReferentialService

if TYPE_CHECKING:
    from archipel.platform import Platform

AGENT = "init"
FORMATS, ONTOLOGY = "formats", "ontology"


def ensure_shared_referentials(platform: Platform) -> None:
    """Loads into tenant 0 what it lacks of the default formats and INTERNAL ontology (idempotent)."""
    with platform.database.unit_of_work() as session:
        repository = ReferentialRepository(session, SHARED_TENANT)
        formats_missing = repository.version(FORMATS) == 0
        known_fields = set(repository.documents(ONTOLOGY))
    service = ReferentialService(platform)
    if formats_missing:
        service.import_file(
            SHARED_TENANT,
            FORMATS,
            export_formats(formats_of_identifier()),
            agent=AGENT,
            source_name=f"PRONOM v{get_local_versions().pronom_version} formats of the format identifier",
        )
    missing_fields = [field for field in ontology_from_seda() if field["Identifier"] not in known_fields]
    if missing_fields:
        service.import_file(
            SHARED_TENANT,
            ONTOLOGY,
            export_ontology(missing_fields),
            agent=AGENT,
            source_name="SEDA 2.1 to 2.3 fields shipped with Archipel",
        )


STARTER = Path(__file__).parent / "starter"
STARTER_FILES = (
    ("agencies", "agencies.csv"),
    ("rules", "rules.csv"),
    ("ingest-contracts", "ingest-contracts.json"),
    ("access-contracts", "access-contracts.json"),
)
"""What a new tenant starts with (`archipel/referential/starter/`): the usual French access
rules (Code du patrimoine L213-2) and appraisal periods, default services, an ingest contract
accepting every format, an archivist's access contract. A SIP built by `archipel sip build`
with its defaults is accepted at once; the commune's archivist then imports their own."""
STARTER_ACCESS_CONTRACT = "AC-ARCHIVISTE"
"""The starter set's access contract (in access-contracts.json): the archivist sees everything."""


def ensure_starter_referentials(platform: Platform, tenant: int, agent: str = AGENT) -> list[str]:
    """Imports each starter referential the tenant never had (its version is 0); the kinds
    imported. One the archivist has imported, or emptied, since is never overwritten."""
    service = ReferentialService(platform)
    imported = []
    for kind, name in STARTER_FILES:
        if service.version(tenant, kind) == 0:
            service.import_file(tenant, kind, (STARTER / name).read_bytes(), agent=agent, source_name=name)
            imported.append(kind)
    return imported
