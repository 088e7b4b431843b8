"""A referential read back from the offers: the snapshot of its last version becomes the index.

The offers keep each version of a referential whole (see `service`); after a disaster the
last one is what the referential said, and it replaces whatever the database holds for
that kind (the shared defaults an `init` made, for instance). The per-entry history of
earlier versions stays on the offers, in the earlier snapshots.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import delete

from archipel.core.clock import utc_now
from archipel.core.digests import sha512_bytes
from archipel.db.repository import TenantScope
from archipel.referential.model import ReferentialEntry, ReferentialVersion
from archipel.referential.service import SNAPSHOT_SCHEMA

if TYPE_CHECKING:
    from archipel.platform import Platform


def restore_referential(platform: Platform, snapshot: bytes) -> None:
    document = json.loads(snapshot.decode("utf-8"))
    if document.get("schema") != SNAPSHOT_SCHEMA:
        raise ValueError(f"not a referential snapshot: schema {document.get('schema')!r}")
    tenant, kind, version = int(document["tenant"]), str(document["kind"]), int(document["version"])
    from archipel.referential.kinds import kind_named

    id_field = kind_named(kind).id_field
    now = utc_now()
    with platform.database.unit_of_work() as session:
        scope = TenantScope(session, tenant)
        for model in (ReferentialEntry, ReferentialVersion):
            session.execute(delete(model).where(model.tenant_id == tenant, model.kind == kind))
        for position, entry in enumerate(document["entries"]):
            status = entry.get("Status") if isinstance(entry.get("Status"), str) else None
            scope.add(
                ReferentialEntry(
                    kind=kind,
                    identifier=str(entry[id_field]),
                    status=status,
                    document=entry,
                    position=position,
                    version=1,
                    created=now,
                    updated=now,
                )
            )
        scope.add(
            ReferentialVersion(
                kind=kind,
                version=version,
                operation_id=document["operation_id"],
                sha512=sha512_bytes(snapshot),
                created=now,
            )
        )
