"""The fonds the reclassification tests move about: the access tests' archive beside a small filing tree.

Marchés publics                    node M      (FILING_UNIT)
└── Voirie                         node M.1
Affaires générales                 node A
Série des marchés publics          archive.series   AccessRule ACC-00003 (closed until 2045)
├── Marché de voirie 2020          archive.closed   inherits ACC-00003
├── Marché ouvert                  archive.prevented
└── Marché sans réserve            archive.refused
Registre d'un autre service        archive.other    no rule
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from access.access_archive import Archive, ingest_archive

from archipel.access.model import UnitAncestor
from archipel.access.service import effective_rules_view
from archipel.db.repository import TenantScope
from archipel.platform import Platform
from archipel.referential.filing import import_filing_tree

HEADER = "id,parent id,title,level,description\n"
TREE = HEADER + "M,,Marchés publics,Series,\nM.1,M,Voirie,Subseries,\nA,,Affaires générales,Series,\n"
SERIES_RULE = "ACC-00003"


@dataclass(frozen=True)
class Fonds:
    archive: Archive
    nodes: dict[str, str]
    """System ids of the filing tree's nodes, by their id in the CSV."""


def make_fonds(platform: Platform, folder: Path, tenant: int = 1) -> Fonds:
    archive = ingest_archive(platform, folder, tenant)
    tree = import_filing_tree(platform, tenant, TREE.encode("utf-8"))
    assert tree.accepted
    return Fonds(archive, tree.nodes)


def foreign_node(platform: Platform, tenant: int = 2) -> str:
    """A filing-tree node of another tenant: its id must mean nothing to tenant 1."""
    tree = import_filing_tree(platform, tenant, (HEADER + "Z,,Ailleurs,Series,\n").encode("utf-8"))
    assert tree.accepted
    return tree.nodes["Z"]


def ancestors(platform: Platform, tenant: int, unit_id: str) -> set[str]:
    """The unit's ancestors as the search index holds them (what `$roots` and contracts use)."""
    with platform.database.unit_of_work() as session:
        query = TenantScope(session, tenant).select(UnitAncestor).where(UnitAncestor.unit_id == unit_id)
        return set(session.scalars(query.with_only_columns(UnitAncestor.ancestor_id)))


def rules_with_origin(platform: Platform, tenant: int, unit_id: str) -> set[tuple[str, str]]:
    """(rule, unit it comes from) of each rule that applies to the unit, own or inherited."""
    with platform.database.unit_of_work() as session:
        return {(rule["rule"], rule["origin"]) for rule in effective_rules_view(session, tenant, unit_id)}
