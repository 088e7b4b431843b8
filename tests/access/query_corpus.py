"""A small archive written straight into the unit tables, then indexed by the real indexer.

Writing rows (rather than ingesting SIPs) lets each unit carry exactly the metadata a query
test needs — accents, repeated keywords, numbers, missing dates — in milliseconds; the
index is then built by `archipel.access.indexing.index_units`, as after an ingest.

Tenant 1:

    Série Délibérations (S1, agency AG-A, AccessRule ACC-00002 ends 2000-01-01)
    ├── Dossier conseil municipal 1990 (F1)
    │   ├── Délibération du conseil municipal n°12 (I1)   Paris geogname, 12 pages
    │   └── Délibérations budgétaires (I2)                 Paris subject, 9 pages
    └── Dossier urbanisme (F2, also under S2: two parents)
        └── Permis de construire rue de l'Église (I3)     own AccessRule ACC-00003 ends 2050-01-01
    Série Urbanisme (S2, agency AG-B)
    Compte rendu sans date (I4, agency AG-B, no parent)

Tenant 2: one unit whose words match tenant 1's queries ("Délibération secrète").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from archipel.access.indexing import index_units
from archipel.core.ids import new_id
from archipel.db.repository import TenantScope
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule

CREATED = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Corpus:
    """Ids of the units written, by title (titles are unique within a tenant here)."""

    ids: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)

    def keys(self, ids: list[str]) -> list[str]:
        """The short keys (`S1`, `I3`...) of these unit ids, in the same order."""
        by_id = {unit_id: key for key, unit_id in self.ids.items() if len(key) == 2}
        return [by_id[unit_id] for unit_id in ids]

    def resolve(self, value: Any) -> Any:
        """The request with every `@KEY` string replaced by the unit id of KEY."""
        if isinstance(value, dict):
            return {name: self.resolve(item) for name, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, str) and value.startswith("@"):
            return self.ids[value[1:]]
        return value


@dataclass(frozen=True)
class Unit:
    key: str
    content: dict[str, Any]
    agency: str = "AG-A"
    parents: tuple[str, ...] = ()
    rules: tuple[tuple[str, str, date | None], ...] = ()
    objects: tuple[tuple[str, str, int, str, str], ...] = ()
    """(usage, PUID, size, MIME type, file name) of each data object."""


def unit(key: str, title: str, level: str, **others: Any) -> Unit:
    extra = {
        name: value for name, value in others.items() if name not in ("agency", "parents", "rules", "objects")
    }
    options = {
        name: value for name, value in others.items() if name in ("agency", "parents", "rules", "objects")
    }
    return Unit(key, {"DescriptionLevel": level, "Title": title, **extra}, **options)


TENANT_1 = (
    unit(
        "S1",
        "Série Délibérations",
        "Series",
        Description="Les délibérations du conseil municipal depuis 1950",
        StartDate="1950-01-01",
        rules=(("AccessRule", "ACC-00002", date(2000, 1, 1)),),
    ),
    unit("S2", "Série Urbanisme", "Series", agency="AG-B", StartDate="1960-05-01"),
    unit(
        "F1",
        "Dossier conseil municipal 1990",
        "File",
        parents=("S1",),
        StartDate="1990-01-01",
        EndDate="1990-12-31",
    ),
    unit(
        "F2",
        "Dossier urbanisme",
        "File",
        parents=("S1", "S2"),
        StartDate="1985-06-15",
        Keyword={"KeywordType": "subject", "KeywordContent": "Urbanisme"},
    ),
    unit(
        "I1",
        "Délibération du conseil municipal n°12",
        "Item",
        parents=("F1",),
        Description="Vote du budget primitif; séance du conseil municipal",
        StartDate="1990-03-15",
        Pages="12",
        Keyword=[
            {"KeywordType": "geogname", "KeywordContent": "Paris"},
            {"KeywordType": "subject", "KeywordContent": "Lyon"},
        ],
        Title_={"fr": "Délibération du conseil municipal n°12", "en": "Council minutes 12"},
        objects=(
            ("BinaryMaster", "fmt/17", 2048, "application/pdf", "deliberation-12.pdf"),
            ("Dissemination", "fmt/11", 512, "image/png", "deliberation-12.png"),
        ),
    ),
    unit(
        "I2",
        "Délibérations budgétaires",
        "Item",
        parents=("F1",),
        Description="Budget: délibérations et votes du Conseil",
        StartDate="1990-11-02",
        Pages="9",
        Keyword=[
            {"KeywordType": "subject", "KeywordContent": "Paris"},
            {"KeywordType": "geogname", "KeywordContent": "Lyon"},
        ],
        objects=(("BinaryMaster", "fmt/17", 4096, "application/pdf", "budget_1990.pdf"),),
    ),
    unit(
        "I3",
        "Permis de construire rue de l'Église",
        "Item",
        parents=("F2",),
        Description="Permis 100% conforme, dossier_complet",
        StartDate="1987-09-30",
        Pages="120",
        rules=(("AccessRule", "ACC-00003", date(2050, 1, 1)),),
    ),
    unit(
        "I4",
        "Compte rendu sans date",
        "Item",
        agency="AG-B",
        Description="Délibération orale non datée",
    ),
)

TENANT_2 = (
    unit(
        "X1",
        "Délibération secrète",
        "Item",
        Description="délibération du conseil municipal",
        StartDate="1990-03-15",
        objects=(("BinaryMaster", "fmt/17", 2048, "application/pdf", "secret.pdf"),),
    ),
)


def write_corpus(session: Session, tenant: int, units: tuple[Unit, ...]) -> Corpus:
    """Writes the units (parents first), their rules and objects, then indexes them."""
    scope = TenantScope(session, tenant)
    corpus = Corpus()
    operation = new_id()
    for item in units:
        unit_id = new_id()
        corpus.ids[item.content["Title"]] = unit_id
        corpus.ids[item.key] = unit_id
        group_id = _objects(scope, corpus, item, operation) if item.objects else None
        scope.add(
            ArchiveUnit(
                id=unit_id,
                operation_id=operation,
                title=item.content["Title"],
                level=item.content["DescriptionLevel"],
                originating_agency=item.agency,
                object_group_id=group_id,
                content=item.content,
                management={},
                created=CREATED,
            )
        )
        session.flush()
        for parent in item.parents:
            scope.add(UnitParent(unit_id=unit_id, parent_id=corpus.ids[parent]))
        for category, rule_id, end in item.rules:
            scope.add(UnitRule(unit_id=unit_id, category=category, rule_id=rule_id, end_date=end))
    session.flush()
    index_units(session, tenant, [corpus.ids[item.key] for item in units])
    return corpus


def _objects(scope: TenantScope, corpus: Corpus, item: Unit, operation: str) -> str:
    group_id = new_id()
    scope.add(ObjectGroup(id=group_id, operation_id=operation, created=CREATED))
    scope.session.flush()
    for usage, puid, size, mime, filename in item.objects:
        object_id = new_id()
        corpus.objects[filename] = object_id
        scope.add(
            DataObject(
                id=object_id,
                object_group_id=group_id,
                kind="binary",
                usage=usage,
                version=1,
                filename=filename,
                size=size,
                puid=puid,
                mime=mime,
                sha512="0" * 128,
                created=CREATED,
            )
        )
    return group_id
