"""Collect projects: what the transactions of one deposit stream share.

A project is checked against the tenant's referentials when it is written, not when its
first SIP is ingested: a contract or agency misspelt in a project would otherwise make
every transaction of it fail at the very end, after all its binaries were uploaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, TypeVar

from sqlalchemy import Select, func
from sqlalchemy.orm import Session

from archipel.admin import service as admin
from archipel.collect.collect_model import CollectProject
from archipel.core.clock import utc_now
from archipel.core.errors import Unprocessable
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.metadata.repository import UnitRepository
from archipel.referential.view import load_referentials

Row = TypeVar("Row")


@dataclass(frozen=True)
class ProjectSettings:
    """The defaults every SIP of the project is written with."""

    ingest_contract: str
    originating_agency: str
    submission_agency: str | None = None
    archival_agency: str | None = None
    """The archives receiving the SIPs; the originating agency when not named."""
    transferring_agency: str | None = None
    """Who transfers; the submission agency, else the originating agency, when not named."""
    management: dict[str, Any] | None = None
    """Management metadata (rules) of every root unit, in the JSON shape of `archipel.seda.content`."""
    attach_to: str | None = None
    """System id of an archived unit (a filing or holding node) the SIPs' roots go under."""
    unit_profile: str | None = None
    """An archive-unit profile every unit must conform to."""
    comment: str | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ProjectSettings:
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in document.items() if key in names})

    def header_agencies(self) -> tuple[str, str]:
        """(archival agency, transferring agency) of the SIPs' header."""
        transferring = self.transferring_agency or self.submission_agency or self.originating_agency
        return self.archival_agency or self.originating_agency, transferring


class Projects:
    def __init__(self, session: Session, tenant: int) -> None:
        self.scope = TenantScope(session, tenant)
        self.session = session

    def create(self, name: str, settings: ProjectSettings) -> CollectProject:
        self._check(settings)
        now = utc_now()
        project = CollectProject(id=new_id(), name=name, settings=asdict(settings), created=now, updated=now)
        self.scope.add(project)
        self.session.flush()
        return project

    def get(self, project_id: str) -> CollectProject:
        return self.scope.get(CollectProject, "collect project", id=project_id)

    def page(self, limit: int, offset: int) -> tuple[list[CollectProject], int]:
        query = self.scope.select(CollectProject).order_by(CollectProject.created, CollectProject.id)
        return page_of(self.session, query, limit, offset)

    def update(self, project_id: str, name: str | None, changes: dict[str, Any]) -> CollectProject:
        project = self.get(project_id)
        settings = replace(ProjectSettings.from_document(project.settings), **changes)
        self._check(settings)
        project.settings = asdict(settings)
        project.name = name or project.name
        project.updated = utc_now()
        self.session.flush()
        return project

    def _check(self, settings: ProjectSettings) -> None:
        admin.require_writable_tenant(self.session, self.scope.tenant)
        referentials = load_referentials(self.session, self.scope.tenant)
        problems = []
        contract = referentials.ingest_contract(settings.ingest_contract)
        if contract is None:
            problems.append(f"ingest contract {settings.ingest_contract!r} does not exist")
        elif not contract.active:
            problems.append(f"ingest contract {settings.ingest_contract!r} is inactive")
        agencies = (
            settings.originating_agency,
            settings.submission_agency,
            settings.archival_agency,
            settings.transferring_agency,
        )
        problems += [
            f"agency {agency!r} does not exist"
            for agency in dict.fromkeys(agencies)
            if agency and not referentials.has_agency(agency)
        ]
        if (
            settings.attach_to
            and UnitRepository(self.session, self.scope.tenant).find_unit(settings.attach_to) is None
        ):
            problems.append(f"attachment node {settings.attach_to} is not a unit of this tenant")
        problems += [
            f"rule {rule!r} of the default management does not exist"
            for rule in _rule_ids(settings.management or {})
            if referentials.rule(rule) is None
        ]
        if settings.unit_profile and settings.unit_profile not in referentials.of("unit-profiles"):
            problems.append(f"archive-unit profile {settings.unit_profile!r} does not exist")
        if problems:
            raise Unprocessable("the project's settings do not match the tenant's referentials", problems)


def _rule_ids(management: dict[str, Any]) -> list[str]:
    """Rule ids a management block names (`{"AppraisalRule": {"Rules": [{"Rule": ...}]}}`)."""
    return [
        str(rule["Rule"])
        for category in management.values()
        if isinstance(category, dict)
        for rule in category.get("Rules") or []
        if isinstance(rule, dict) and rule.get("Rule")
    ]


def page_of(session: Session, query: Select[tuple[Row]], limit: int, offset: int) -> tuple[list[Row], int]:
    """One page of rows and how many there are in all (for `X-Total-Count`)."""
    total = session.scalar(query.with_only_columns(func.count()).order_by(None)) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), total


def project_json(project: CollectProject) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        **project.settings,
        "created": project.created.isoformat(),
        "updated": project.updated.isoformat(),
    }
