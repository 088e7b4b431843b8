"""Search latency on a large archive, on PostgreSQL and SQLite.

Run by hand: `python benchmarks/search.py [--postgres 1000000] [--sqlite 100000] [--runs 40]
[--keep] [--explain]` (`--schema NAME` / `--sqlite-file PATH` search an archive kept earlier).
Generates an archive of French municipal records — 50 originating
agencies, each a tree of series → files → items, titles like "Délibération du conseil
municipal n°…", descriptions, keywords, dates over 1950–2025, access rules on some series —
writes the unit rows in bulk and indexes them with the real indexer
(`archipel.access.indexing.index_units`), into a fresh schema of the `test` database
(dropped afterwards unless --keep) and a temporary SQLite file. Then runs a mix of typical
searches with varying parameters and prints p50/p95 latency per kind of search: full text,
date range + agency, facets on agency and year, a tree, a scroll deep into the results.
`--explain` prints PostgreSQL's EXPLAIN ANALYZE of the slowest statement of each kind.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.orm import Session

from archipel.access.indexing import index_units
from archipel.access.query import search_units
from archipel.access.query.cursor import Cursor
from archipel.core.ids import new_id
from archipel.db import migrate
from archipel.db.database import Database
from archipel.metadata.model import ArchiveUnit, UnitParent, UnitRule

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TENANT = 1
AGENCIES = [f"COMMUNE_{index:02d}" for index in range(1, 51)]
FILES_PER_SERIES = 25
ITEMS_PER_FILE = 20
BATCH = 2_000
CREATED = datetime(2025, 1, 1, tzinfo=UTC)

THEMES = [
    (
        "Délibérations du conseil municipal",
        "Délibération du conseil municipal n°{n}: {subject}",
        "délibération",
    ),
    ("Arrêtés du maire", "Arrêté du maire n°{n} portant {subject}", "arrêté"),
    ("Permis de construire", "Permis de construire de {person}, {number} {street}", "urbanisme"),
    ("Marchés publics", "Marché n°{n}: {subject}", "marché"),
    ("État civil", "Acte de naissance de {person}", "état civil"),
    ("Budget et comptabilité", "Mandat de paiement n°{n} à {person}", "finances"),
    ("Personnel communal", "Dossier individuel de {person}, agent communal", "personnel"),
    ("Écoles", "Inscription scolaire de {person}", "enseignement"),
    ("Élections", "Procès-verbal des élections municipales, bureau n°{n}", "élections"),
    ("Voirie et réseaux", "Travaux de voirie, {number} {street}", "voirie"),
]
SUBJECTS = [
    "vote du budget primitif",
    "acquisition d'un terrain communal",
    "travaux de réfection de l'église",
    "subvention à l'association sportive",
    "création d'un poste d'adjoint administratif",
    "tarifs de la cantine scolaire",
    "aliénation d'un chemin rural",
    "éclairage public du centre-bourg",
    "convention avec la communauté de communes",
    "restauration du monument aux morts",
    "assainissement collectif des eaux usées",
    "dénomination des rues et places",
    "classement de la voirie communale",
    "indemnités de fonctions des élus",
    "révision du plan local d'urbanisme",
    "construction d'une salle polyvalente",
    "entretien du cimetière communal",
    "ramassage des ordures ménagères",
    "transport scolaire des élèves",
    "jumelage avec une commune allemande",
    "fête locale et feu d'artifice",
    "réparation de la toiture de la mairie",
    "achat d'un tracteur pour les services techniques",
    "extension du réseau d'eau potable",
    "mise aux normes de l'école maternelle",
    "location du presbytère",
    "concession de la chasse communale",
    "défense contre l'incendie des forêts",
    "aménagement de l'aire de jeux",
    "vente de coupes de bois",
]
SURNAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noël",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Perez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Marie",
    "Barbier",
    "Brun",
    "Dumas",
    "Brunet",
    "Schmitt",
    "Leroux",
    "Colin",
    "Fernandez",
    "Pierre",
    "Renard",
    "Arnaud",
    "Rolland",
    "Caron",
    "Aubert",
    "Giraud",
    "Leclerc",
    "Vidal",
    "Bourgeois",
    "Renaud",
    "Lemoine",
    "Picard",
    "Gaillard",
    "Philippe",
    "Leclercq",
]
FIRST_NAMES = [
    "Jean",
    "Marie",
    "Pierre",
    "Jeanne",
    "Louis",
    "Marguerite",
    "Joseph",
    "Germaine",
    "André",
    "Louise",
    "Henri",
    "Yvonne",
    "Marcel",
    "Madeleine",
    "Georges",
    "Suzanne",
    "René",
    "Marcelle",
    "Paul",
    "Simone",
    "Roger",
    "Denise",
    "Robert",
    "Lucienne",
    "Jacques",
    "Paulette",
    "Maurice",
    "Odette",
    "Michel",
    "Hélène",
    "Bernard",
    "Renée",
    "Claude",
    "Andrée",
    "Raymond",
    "Jacqueline",
    "Lucien",
    "Colette",
    "Émile",
    "Solange",
]
STREETS = [
    f"{kind} {name}"
    for kind in ("rue", "avenue", "chemin", "impasse", "place", "allée")
    for name in (
        "de la République",
        "de l'Église",
        "Jean Jaurès",
        "des Vignes",
        "Victor Hugo",
        "des Tilleuls",
        "de Bordeaux",
        "Gambetta",
        "du Moulin",
        "de la Gare",
        "des Écoles",
        "Pasteur",
    )
]
PLACES = [
    "Bordeaux",
    "Mérignac",
    "Pessac",
    "Talence",
    "Bègles",
    "Libourne",
    "Arcachon",
    "Blaye",
    "Lormont",
    "Cenon",
    "Floirac",
    "Eysines",
    "Bruges",
    "Gradignan",
    "Léognan",
    "Cestas",
    "Canéjan",
    "Saucats",
    "Martillac",
    "Cadaujac",
    "Villenave",
    "Ambarès",
    "Bassens",
    "Carbon-Blanc",
    "Lesparre",
    "Pauillac",
    "Margaux",
    "Castelnau",
    "Blanquefort",
    "Parempuyre",
    "Ludon",
    "Macau",
    "Soulac",
    "Vendays",
    "Hourtin",
    "Lacanau",
    "Andernos",
    "Arès",
    "Biganos",
    "Audenge",
    "Lanton",
    "Gujan-Mestras",
    "Teste-de-Buch",
    "Belin-Béliet",
    "Salles",
    "Mios",
    "Langon",
    "Bazas",
    "Cadillac",
    "Podensac",
    "Créon",
    "Sauveterre",
    "Monségur",
    "Sainte-Foy",
    "Coutras",
    "Guîtres",
    "Bourg",
    "Cubzac",
]
SENTENCES = [
    "Le conseil municipal, après en avoir délibéré, adopte à l'unanimité",
    "Pièces jointes: plans, devis et rapport de présentation",
    "Séance ordinaire présidée par le maire",
    "Correspondance avec la préfecture et les services de l'État",
    "Document numérisé à partir de l'original papier",
    "Observations de la commission des finances",
    "Registre relié, en bon état de conservation",
    "Lacunes signalées dans la numérotation",
    "Copie certifiée conforme par le secrétaire de mairie",
]


@dataclass
class Series:
    id: str
    agency: str
    theme: int
    start: int


@dataclass
class Tree:
    """What the queries need to know about the generated archive."""

    series: list[Series]
    units: int


def unit_row(unit_id: str, level: str, agency: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "tenant_id": TENANT,
        "id": unit_id,
        "operation_id": agency,  # one transfer per agency
        "title": content["Title"],
        "level": level,
        "unit_type": "INGEST",
        "originating_agency": agency,
        "content": content,
        "management": {},
        "created": CREATED,
        "version": 1,
    }


Batch = tuple[list[dict[str, Any]], list[dict[str, Any]]]
"""Unit rows and their parent links."""


def generate(units: int, rng: random.Random) -> tuple[list[Series], Iterator[Batch]]:
    """The series, and batches of unit rows, parents always in an earlier batch."""
    per_series = 1 + FILES_PER_SERIES * (1 + ITEMS_PER_FILE)
    series = [
        Series(new_id(), AGENCIES[index % len(AGENCIES)], rng.randrange(len(THEMES)), rng.randint(1950, 2000))
        for index in range(max(1, units // per_series))
    ]

    def batches() -> Iterator[Batch]:
        yield (
            [unit_row(item.id, "Series", item.agency, _series_description(item, rng)) for item in series],
            [],
        )
        for item in series:
            rows, links = [], []
            for _ in range(FILES_PER_SERIES):
                file_id = new_id()
                rows.append(unit_row(file_id, "File", item.agency, _description("File", item, rng)))
                links.append({"tenant_id": TENANT, "unit_id": file_id, "parent_id": item.id})
                for _ in range(ITEMS_PER_FILE):
                    unit_id = new_id()
                    rows.append(unit_row(unit_id, "Item", item.agency, _description("Item", item, rng)))
                    links.append({"tenant_id": TENANT, "unit_id": unit_id, "parent_id": file_id})
            yield rows, links  # a whole series: its files come before their items

    return series, batches()


def _series_description(series: Series, rng: random.Random) -> dict[str, Any]:
    name = THEMES[series.theme][0]
    return {
        "DescriptionLevel": "Series",
        "Title": f"{name} ({series.start}-{series.start + 25})",
        "Description": f"{name} de la commune, {rng.choice(SENTENCES).lower()}.",
        "StartDate": f"{series.start}-01-01",
        "EndDate": f"{series.start + 25}-12-31",
    }


def _description(level: str, series: Series, rng: random.Random) -> dict[str, Any]:
    name, pattern, subject_word = THEMES[series.theme]
    year = min(2025, series.start + rng.randint(0, 25))
    day = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    person = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    subject, street, place = rng.choice(SUBJECTS), rng.choice(STREETS), rng.choice(PLACES)
    number = rng.randint(1, 999)
    if level == "File":
        title = f"{name}, année {year}"
    else:
        title = pattern.format(
            n=number, subject=subject, person=person, number=rng.randint(1, 80), street=street
        )
    keywords = [
        {"KeywordType": "geogname", "KeywordContent": place},
        {"KeywordType": "subject", "KeywordContent": subject_word},
    ]
    if "{person}" in pattern and level == "Item":
        keywords.append({"KeywordType": "persname", "KeywordContent": person})
    return {
        "DescriptionLevel": level,
        "Title": title,
        "Description": f"{subject.capitalize()}. {rng.choice(SENTENCES)}; {street}, {place}.",
        "StartDate": day.isoformat(),
        "EndDate": (day + timedelta(days=rng.randint(0, 30))).isoformat(),
        "Keyword": keywords,
        "OriginatingAgencyArchiveUnitIdentifier": f"{rng.randint(1, 99)}W{number}",
    }


def load(database: Database, units: int, seed: int) -> Tree:
    """Writes and indexes the archive, batch by batch, parents first; prints progress."""
    rng = random.Random(seed)
    series, batches = generate(units, rng)
    written = 0
    next_analyze = ANALYZE_FIRST
    started = time.perf_counter()
    for rows, links in batches:
        with database.unit_of_work() as session:
            session.execute(insert(ArchiveUnit), rows)
            if links:
                session.execute(insert(UnitParent), links)
            else:  # the series: some closed by an access rule their units inherit
                session.execute(insert(UnitRule), [_access_rule(row) for row in rows if rng.random() < 0.3])
            index_units(session, TENANT, [row["id"] for row in rows])
        written += len(rows)
        if written >= next_analyze:  # as autovacuum does on a server (it is off on this machine)
            analyze(database)
            next_analyze = int(written * ANALYZE_GROWTH)
        elapsed = time.perf_counter() - started
        print(f"\r  {written:>9,} units indexed ({written / elapsed:,.0f}/s)", end="", flush=True)
    print()
    return Tree(series, written)


def _access_rule(row: dict[str, Any]) -> dict[str, Any]:
    start = date.fromisoformat(row["content"]["EndDate"])
    return {
        "tenant_id": TENANT,
        "unit_id": row["id"],
        "category": "AccessRule",
        "rule_id": "ACC-00003",
        "start_date": start,
        "end_date": start.replace(year=start.year + 25),
    }


def known_tree(database: Database, seed: int) -> Tree:
    """The series of an archive loaded by an earlier run (--schema, --sqlite-file)."""
    with database.unit_of_work() as session:
        rows = session.execute(
            text(
                "SELECT id, originating_agency, content FROM archive_units "
                "WHERE tenant_id = :t AND level = 'Series' ORDER BY id"
            ),
            {"t": TENANT},
        ).all()
        units = session.execute(
            text("SELECT count(*) FROM archive_units WHERE tenant_id = :t"), {"t": TENANT}
        )
        count = units.scalar_one()
    series = []
    for unit_id, agency, content in rows:
        document = content if isinstance(content, dict) else json.loads(content)
        theme = next(index for index, item in enumerate(THEMES) if document["Title"].startswith(item[0]))
        series.append(Series(unit_id, agency, theme, int(document["StartDate"][:4])))
    return Tree(series, count)


# -- the searches ---------------------------------------------------------------------------

Request = Callable[[random.Random, Tree], dict[str, Any]]


def name_search(rng: random.Random, tree: Tree) -> dict[str, Any]:
    """A person, as an archivist looks for one: a few hundred matches among a million."""
    return {"$query": {"$match_all": {"_all": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"}}}


def common_words(rng: random.Random, tree: Tree) -> dict[str, Any]:
    """A subject: one unit in twenty or so matches."""
    return {"$query": {"$match_all": {"_all": rng.choice(SUBJECTS)}}}


def phrase(rng: random.Random, tree: Tree) -> dict[str, Any]:
    return {"$query": {"$match_phrase": {"Title": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"}}}


def dates_and_agency(rng: random.Random, tree: Tree) -> dict[str, Any]:
    series = rng.choice(tree.series)
    year = series.start + rng.randint(0, 25)
    return {
        "$query": {
            "$and": [
                {"$range": {"StartDate": {"$gte": f"{year}-03-01", "$lt": f"{year}-04-01"}}},
                {"$eq": {"#originating_agency": series.agency}},
            ]
        },
        "$filter": {"$orderby": {"StartDate": 1}},
    }


def facets(rng: random.Random, tree: Tree) -> dict[str, Any]:
    decades = [{"$from": str(year), "$to": str(year + 10)} for year in range(1950, 2030, 10)]
    return {
        "$query": {"$match": {"_all": rng.choice(SURNAMES)}},
        "$filter": {"$limit": 20},
        "$facets": [
            {"$name": "agencies", "$terms": {"$field": "#originating_agency", "$size": 50}},
            {"$name": "decades", "$date_range": {"$field": "StartDate", "$ranges": decades}},
        ],
    }


def subtree(rng: random.Random, tree: Tree) -> dict[str, Any]:
    return {
        "$roots": [rng.choice(tree.series).id],
        "$query": {"$match": {"_all": rng.choice(SURNAMES)}},
        "$filter": {"$orderby": {"Title": 1}},
    }


def deep_scroll(rng: random.Random, tree: Tree) -> dict[str, Any]:
    return {"$query": {"$eq": {"DescriptionLevel": "Item"}}, "$filter": {"$limit": 100}}


SEARCHES: dict[str, Request] = {
    "full text: a person": name_search,
    "full text: a subject": common_words,
    "phrase in title": phrase,
    "date range + agency": dates_and_agency,
    "facets agency + decade": facets,
    "tree + full text": subtree,
    "deep scroll (10-40%)": deep_scroll,
}


@dataclass
class Statements:
    """Every SQL statement run during one search, with its time, for EXPLAIN."""

    seen: list[tuple[float, str, Any]]


def measure(database: Database, tree: Tree, runs: int, explain: bool, seed: int) -> None:
    rng = random.Random(seed)
    statements = Statements([])
    started: dict[int, float] = {}

    @event.listens_for(database.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(database.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.seen.append((time.perf_counter() - started.pop(id(cursor), 0.0), statement, parameters))

    print(f"  {'search':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'results (median total)':>24}")
    for name, build in SEARCHES.items():
        timings, totals = [], []
        slowest: tuple[float, str, Any] = (0.0, "", None)
        for run in range(runs + 2):
            request = build(rng, tree)
            statements.seen.clear()
            with database.unit_of_work() as session:
                if name.startswith("deep scroll"):
                    request = _deep_cursor(session, request, rng)
                begin = time.perf_counter()
                result = search_units(session, TENANT, request)
                elapsed = time.perf_counter() - begin
            if run >= 2:  # the first runs warm the caches
                timings.append(elapsed * 1000)
                totals.append(result.total)
                slowest = max([slowest, *statements.seen], key=lambda item: item[0])
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(
            f"  {name:<28} {statistics.median(timings):>8.1f} {p95:>8.1f} {timings[-1]:>8.1f} "
            f"{statistics.median(totals):>24,.0f}"
        )
        if explain and database.url.startswith("postgresql"):
            _explain(database, slowest)


def _deep_cursor(session: Session, request: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The request with a cursor 10% to 40% deep into the results (as if scrolled that far)."""
    start = search_units(session, TENANT, {**request, "$filter": {"$limit": 1, "$scrollId": "START"}})
    assert start.scroll_id is not None
    row = session.execute(
        text("SELECT id FROM archive_units WHERE tenant_id = :t ORDER BY id LIMIT 1 OFFSET :o"),
        {"t": TENANT, "o": rng.randint(start.total // 10, start.total * 4 // 10)},
    ).scalar_one()
    deep = replace(Cursor.parse(start.scroll_id), last_id=row).encode()
    return {**request, "$filter": {"$limit": 100, "$scrollId": deep}}


def _explain(database: Database, slowest: tuple[float, str, Any]) -> None:
    seconds, statement, parameters = slowest
    if not statement:
        return
    with database.engine.connect() as connection:
        cursor = connection.connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = "\n".join(f"      {row[0]}" for row in cursor.fetchall())
    print(f"    slowest statement ({seconds * 1000:.1f} ms):\n{plan}")


# -- engines --------------------------------------------------------------------------------

ANALYZE_FIRST = 5_000
ANALYZE_GROWTH = 1.5
"""Statistics are refreshed while loading each time the archive has grown by half: a planner
without statistics reads a whole tenant to find 500 units (autovacuum's analyze keeps them
fresh on a server; this machine's PostgreSQL runs without autovacuum)."""
INDEX_TABLES = ("archive_units", "unit_parents", "unit_rules", "unit_fields", "unit_text", "unit_ancestors")
POSTGRES_TABLES = ("unit_text_fts_all",)
"""PostgreSQL's own search tables (the `_all` vectors, made by migration 0009)."""


def analyze(database: Database, vacuum: bool = False) -> None:
    """Fresh planner statistics of the tables searched (only these: not the whole database).

    `vacuum` (PostgreSQL): also what autovacuum does once a load is over, setting the visibility
    map so index-only scans read no table page. Without it every `Index Only Scan` fetches the
    heap: measured here at 1M units, facets p95 612 → 305 ms and date range + agency 174 → 22 ms.
    """
    postgres = not database.url.startswith("sqlite")
    verb = "VACUUM (ANALYZE)" if vacuum and postgres else "ANALYZE"
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in (*INDEX_TABLES, "unit_effective_rules", *(POSTGRES_TABLES if postgres else ())):
            connection.execute(text(f"{verb} {table}"))


def run_postgres(units: int, schema: str | None, runs: int, keep: bool, explain: bool, seed: int) -> None:
    reuse = schema is not None
    schema = schema or f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    if not reuse:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    try:
        if reuse:
            tree = known_tree(database, seed)
            print(f"PostgreSQL, schema {schema}: {tree.units:,} units")
        else:
            print(f"PostgreSQL, schema {schema}: {units:,} units")
            migrate.upgrade(database)
            tree = load(database, units, seed)
            analyze(database, vacuum=True)
        measure(database, tree, runs, explain, seed)
    finally:
        database.dispose()
        if keep or reuse:
            print(f"kept schema {schema} (--schema {schema} to search it again)")
        else:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_sqlite(units: int, path: Path | None, runs: int, keep: bool, seed: int) -> None:
    reuse = path is not None
    folder = path.parent if path else Path(tempfile.mkdtemp(prefix="archipel-search-"))
    path = path or folder / "archipel.db"
    database = Database(f"sqlite:///{path}")
    try:
        if reuse:
            tree = known_tree(database, seed)
            print(f"SQLite, {path}: {tree.units:,} units")
        else:
            print(f"SQLite, {path}: {units:,} units")
            migrate.upgrade(database)
            tree = load(database, units, seed)
            analyze(database)
        measure(database, tree, runs, explain=False, seed=seed)
    finally:
        database.dispose()
        if keep or reuse:
            print(f"kept {path} (--sqlite-file {path} to search it again)")
        else:
            shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", type=int, default=1_000_000, help="units on PostgreSQL (0: skip)")
    parser.add_argument("--sqlite", type=int, default=100_000, help="units on SQLite (0: skip)")
    parser.add_argument("--schema", help="search the archive kept in this schema by an earlier --keep")
    parser.add_argument(
        "--sqlite-file", type=Path, help="search the SQLite archive kept by an earlier --keep"
    )
    parser.add_argument("--runs", type=int, default=40, help="searches of each kind")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--keep", action="store_true", help="keep the schema and the SQLite file")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest statements")
    options = parser.parse_args()
    if options.postgres or options.schema:
        run_postgres(
            options.postgres, options.schema, options.runs, options.keep, options.explain, options.seed
        )
    if options.sqlite or options.sqlite_file:
        run_sqlite(options.sqlite, options.sqlite_file, options.runs, options.keep, options.seed)


if __name__ == "__main__":
    main()
