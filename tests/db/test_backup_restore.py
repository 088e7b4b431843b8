"""A PostgreSQL backup and a copy of the offers, restored on an empty machine, still prove the archive.

What `docs/deploy.md` tells operators to do, done here with the real tools: `pg_dump -Fc`,
a new database, `pg_restore`, the instance's folder (offers, time-stamping authority) copied,
then the logbooks verified, every copy audited and a unit's evidence bundle checked by the
offline verifier.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support import FIXTURES, POSTGRES_URL, load_referentials, make_platform, postgres_schema

from archipel.core.settings import load_settings
from archipel.db.repository import TenantScope
from archipel.ingest.service import IngestService
from archipel.logbook.securing import secure
from archipel.logbook.verification import verify_logbooks
from archipel.metadata.model import ArchiveUnit
from archipel.platform import Platform
from archipel.storage.offer_audit import OfferAuditService

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LIBPQ_URL = POSTGRES_URL.replace("+psycopg", "")
"""The same server as the tests' database, in the form pg_dump and pg_restore read."""


def _server_url(database: str) -> str:
    return LIBPQ_URL.rsplit("/", 1)[0] + f"/{database}"


def _archipel(home: Path, database_url: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "ARCHIPEL_HOME": str(home), "ARCHIPEL_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "archipel", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _a_unit_with_objects(platform: Platform, operation_id: str) -> str:
    with platform.database.unit_of_work() as session:
        query = TenantScope(session, 1).select(ArchiveUnit).with_only_columns(ArchiveUnit.id)
        found = session.scalars(
            query.where(ArchiveUnit.operation_id == operation_id, ArchiveUnit.object_group_id.is_not(None))
        ).first()
        assert found is not None
        return found


def test_a_database_dump_and_the_offers_restored_elsewhere_verify(tmp_path: Path) -> None:
    schemas = postgres_schema()
    url = next(schemas)
    schema = url.rsplit("%3D", 1)[1]
    original = make_platform(tmp_path / "original", url)
    try:
        load_referentials(original, 1, (("agencies", "referentials/agencies/agencies_init.csv"),))
        ingest = IngestService(original)
        result = ingest.run(1, ingest.submit(1, FIXTURES / "sip/ok/OK_SIP_2_GO.zip"))
        assert result.outcome.value in ("OK", "WARNING"), result
        secure(original, 1, agent="test")
        dump = tmp_path / "archipel.dump"
        subprocess.run(["pg_dump", "-Fc", f"--schema={schema}", "-f", str(dump), LIBPQ_URL], check=True)
    finally:
        original.close()

    database = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        subprocess.run(["pg_restore", "--no-owner", "-d", _server_url(database), str(dump)], check=True)
        shutil.copytree(tmp_path / "original", tmp_path / "restored")  # the offers, the TSA, the settings
        schemas.close()  # the original database is gone for good
        restored_url = f"{POSTGRES_URL.rsplit('/', 1)[0]}/{database}?options=-csearch_path%3D{schema}"
        restored = Platform(load_settings(tmp_path / "restored", database_url=restored_url, demo=False))
        try:
            restored.initialise()
            logbooks = verify_logbooks(restored, 1)
            assert logbooks.ok and logbooks.entries > 0 and logbooks.securings == 1, logbooks.as_dict()
            audit = OfferAuditService(restored)
            copies = audit.run(audit.submit(1), 1, False)
            assert copies.outcome.value == "OK", copies.as_dict()
            unit_id = _a_unit_with_objects(restored, result.operation_id)
        finally:
            restored.close()

        bundle = tmp_path / "evidence.zip"
        exported = _archipel(
            tmp_path / "restored", restored_url, "evidence", "export", unit_id, "--tenant", "1",
            "-o", str(bundle), "--json",
        )  # fmt: skip
        assert exported.returncode == 0, exported.stderr
        verified = _archipel(tmp_path / "restored", restored_url, "verify", str(bundle), "--json")
        assert json.loads(verified.stdout)["ok"] is True, verified.stdout
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
