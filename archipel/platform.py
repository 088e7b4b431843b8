"""The composition root: one instance's settings, database, offers, workers and services.

Built once at start-up from the settings and handed to the API, the CLI and workers;
nothing here runs at import time.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from archipel.admin import service as admin
from archipel.admin.model import Tenant
from archipel.admin.roles import Role
from archipel.admin.tokens import signing_secret
from archipel.core.clock import iso, utc_now
from archipel.core.digests import sha512_bytes
from archipel.core.settings import Settings, load_settings
from archipel.db import migrate
from archipel.db.database import Database
from archipel.logbook.service import operation_files
from archipel.logbook.tsa import ensure_local_tsa
from archipel.preservation.formats import FormatIdentifier
from archipel.referential.defaults import (
    STARTER_ACCESS_CONTRACT,
    ensure_shared_referentials,
    ensure_starter_referentials,
)
from archipel.storage import layout
from archipel.storage.offer import OfferError
from archipel.storage.offers import build_offer
from archipel.storage.strategy import StorageStrategy
from archipel.tasks.runner import TaskRunner, build_runner

log = logging.getLogger(__name__)

DEMO_ORGANISATION = "Métropole de démonstration"
ADMIN_TENANT = admin.ADMIN_TENANT
DEMO_TENANTS = ((1, "Commune A", False), (2, "Commune B", False))
DEMO_KEYS_FILE = "demo-keys.json"
DEMO_ACCESS_CONTRACT = STARTER_ACCESS_CONTRACT
"""The demo keys' access contract: the starter set's archivist contract, who sees everything."""


@dataclass
class InitReport:
    created: bool
    recovered: list[str] = field(default_factory=list)
    demo_keys: dict[int, str] = field(default_factory=dict)


class Platform:
    def __init__(self, settings: Settings, tasks: TaskRunner | None = None) -> None:
        self.settings = settings
        self.database = Database(settings.database_url)
        self.storage = StorageStrategy([build_offer(offer) for offer in settings.offers])
        self.tasks: TaskRunner = tasks or build_runner(self)
        self._identifier: FormatIdentifier | None = None
        self._identifier_lock = threading.Lock()

    @classmethod
    def open(cls, home: Path | str | None = None, **overrides: object) -> Platform:
        return cls(load_settings(home, **overrides))

    def format_identifier(self) -> FormatIdentifier:
        """Loaded on first use: the PRONOM signatures take a while to compile."""
        with self._identifier_lock:
            if self._identifier is None:
                self._identifier = FormatIdentifier()
            return self._identifier

    def initialise(self, demo: bool | None = None) -> InitReport:
        """Creates what is missing, migrates, recovers; idempotent (run it twice: nothing changes)."""
        from archipel.ingest.recovery import recover_interrupted

        home = self.settings.home
        created = not (home / "archipel.toml").exists()
        home.mkdir(parents=True, exist_ok=True)
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        if created:
            (home / "archipel.toml").write_text(_DEFAULT_TOML, encoding="utf-8")
        migrate.upgrade(self.database)
        signing_secret(self.settings)  # the API's token-signing secret, made once (mode 600) unless set
        if not self.settings.tsa_url:
            ensure_local_tsa(self.settings.tsa_dir)
        self._ensure_admin_tenant()
        ensure_shared_referentials(self)
        report = InitReport(created=created, recovered=recover_interrupted(self))
        if self.settings.demo if demo is None else demo:
            report.demo_keys = self._ensure_demo()
        return report

    def _ensure_admin_tenant(self) -> None:
        """Tenant 0 administers the platform (the reference system's habit); it always exists."""
        with self.database.unit_of_work() as session:
            if session.get(Tenant, ADMIN_TENANT) is None:
                admin.create_tenant(session, "Administration", None, ADMIN_TENANT, is_admin=True)
                self.write_tenant_document(ADMIN_TENANT, "Administration", None, True)

    def _ensure_demo(self) -> dict[int, str]:
        """A demo organisation with an administration tenant and two communes, each with a key.

        The demo keys are kept in a file readable by the owner only, so `./run` can print
        them again; real keys are shown once and never stored.
        """
        keys_file = self.settings.home / DEMO_KEYS_FILE
        keys: dict[int, str] = (
            {int(k): v for k, v in json.loads(keys_file.read_text()).items()} if keys_file.exists() else {}
        )
        with self.database.unit_of_work() as session:
            existing = {tenant.id for tenant, _ in admin.list_tenants(session)}
            for tenant_id, name, is_admin in DEMO_TENANTS:
                if tenant_id not in existing:
                    tenant = admin.create_tenant(session, name, DEMO_ORGANISATION, tenant_id, is_admin)
                    self.write_tenant_document(tenant.id, tenant.name, DEMO_ORGANISATION, is_admin)
            for tenant_id in (ADMIN_TENANT, *(tenant for tenant, _, _ in DEMO_TENANTS)):
                if tenant_id not in keys:
                    contract = None if tenant_id == ADMIN_TENANT else DEMO_ACCESS_CONTRACT
                    role = Role.PLATFORM_ADMIN if tenant_id == ADMIN_TENANT else Role.TENANT_ADMIN
                    keys[tenant_id] = admin.create_api_key(session, tenant_id, "demo", contract, role).secret
        for tenant_id, _, _ in DEMO_TENANTS:
            ensure_starter_referentials(self, tenant_id)
        keys_file.write_text(json.dumps({str(k): v for k, v in sorted(keys.items())}, indent=1))
        os.chmod(keys_file, 0o600)
        return keys

    def write_tenant_document(self, tenant: int, name: str, organisation: str | None, is_admin: bool) -> None:
        document = {
            "schema": "archipel:tenant:1",
            "id": tenant,
            "name": name,
            "organisation": organisation,
            "is_admin": is_admin,
            "created": iso(utc_now()),
        }
        data = (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
        key = layout.tenant_key(tenant)
        if self.storage.exists_everywhere(key):
            return
        for offer in self.storage.offers:  # an offer that has it already keeps the original bytes
            if offer.exists(key):
                with offer.open(key) as stream:
                    data = stream.read()
                break
        self.storage.put(key, data, sha512_bytes(data))

    def write_operation_logbook(self, tenant: int, operation_id: str) -> bool:
        """The closed operation's logbook, written to the offers beside its manifest and reply.

        It comes after the operation's commit, so an offer failing here cannot undo the
        operation: the failure is logged and the database keeps the logbook until an offer
        audit (issue 13) writes it again.
        """
        with self.database.unit_of_work() as session:
            files = operation_files(session, tenant, operation_id)
        try:
            for name, content in files:
                self.storage.put(
                    layout.operation_file_key(tenant, operation_id, name), content, sha512_bytes(content)
                )
        except OfferError:
            log.exception("operation %s: its logbook could not be written to every offer", operation_id)
            return False
        return True

    def close(self) -> None:
        self.tasks.shutdown(wait=True)
        self.database.dispose()


_DEFAULT_TOML = """\
# Archipel instance settings. Environment variables ARCHIPEL_* override these values.
# database_url = "postgresql+psycopg://archipel@db.example/archipel"
workers = 2

# Logbook securing (docs/adr/0004-secured-logbooks.md): every N minutes while `archipel serve`
# runs, or the workers with task_runner = "celery" (0: only on demand), time-stamped by the
# local authority in tsa/ or by an external one.
# securing_interval_minutes = 60
# tsa_url = "https://tsa.example/"
# tsa_certificates = "tsa-ca.pem"

# Every archive object is written to every offer below and verified by SHA-512.
[[offers]]
name = "offer-1"
kind = "filesystem"
path = "offers/offer-1"

[[offers]]
name = "offer-2"
kind = "filesystem"
path = "offers/offer-2"

[zip]
max_entries = 200000
max_total_bytes = 68719476736
max_ratio = 200.0
"""
