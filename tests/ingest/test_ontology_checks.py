"""Each unit's values against the type the ontology gives their field (`CHECK_UNIT_SCHEMA.INVALID_UNIT`)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from archipel.core.ids import new_id
from archipel.core.settings import load_settings
from archipel.ingest.context import IngestContext
from archipel.ingest.findings import Outcome
from archipel.ingest.ontology_checks import check_ontology, field_values, is_date
from archipel.platform import Platform
from archipel.preservation.formats import FormatIdentifier
from archipel.referential.ontology import ontology_from_seda
from archipel.referential.service import ReferentialService
from archipel.referential.view import Referentials, load_referentials
from archipel.seda.manifest import read_manifest_bytes
from archipel.seda.model import Manifest

SEDA21 = "fr:gouv:culture:archivesdefrance:seda:v2.1"
ACCEPTED_SIPS = sorted((FIXTURES / "sip" / "ok").glob("*.zip"))
VITAM_ONTOLOGY = json.loads((FIXTURES / "referentials" / "ontology" / "vitam_ontology.json").read_text())


@pytest.fixture(scope="module")
def identifier() -> FormatIdentifier:
    return FormatIdentifier()


def context(
    manifest: Manifest, referentials: Referentials | None, identifier: FormatIdentifier, tenant: int = 1
) -> IngestContext:
    folder = Path("/nonexistent")  # the check reads the manifest only
    ctx = IngestContext(load_settings(folder), tenant, new_id(), folder, folder, identifier)
    ctx.manifest, ctx.referentials = manifest, referentials
    return ctx


def ontology(documents: Iterable[dict[str, Any]]) -> Referentials:
    return Referentials({"ontology": {document["Identifier"]: document for document in documents}})


def deliberation(content: str, level: str = "Item") -> Manifest:
    """A SEDA 2.1 transfer of one unit whose `Content` ends with `content`."""
    return read_manifest_bytes(
        f'<ArchiveTransfer xmlns="{SEDA21}"><Date>2024-03-01T10:00:00</Date>'
        "<MessageIdentifier>M1</MessageIdentifier>"
        "<ArchivalAgreement>IC-1</ArchivalAgreement><DataObjectPackage><DescriptiveMetadata>"
        f'<ArchiveUnit id="AU1"><Content><DescriptionLevel>{level}</DescriptionLevel>'
        f"<Title>Délibération 2024-12</Title>{content}</Content></ArchiveUnit>"
        "</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>"
        "<ArchivalAgency><Identifier>AD</Identifier></ArchivalAgency>"
        "<TransferringAgency><Identifier>COMMUNE</Identifier></TransferringAgency></ArchiveTransfer>".encode()
    )


def external(identifier: str, type_: str, **more: Any) -> dict[str, Any]:
    return {"Identifier": identifier, "Type": type_, "Origin": "EXTERNAL", "Collections": ["Unit"], **more}


@pytest.mark.parametrize("sip", ACCEPTED_SIPS, ids=lambda path: path.name)
@pytest.mark.parametrize("shared", ["seda", "vitam"])
def test_every_accepted_fixture_passes(sip: Path, shared: str, identifier: FormatIdentifier) -> None:
    with zipfile.ZipFile(sip) as archive:
        manifest = read_manifest_bytes(archive.read("manifest.xml"))
    documents = ontology_from_seda() if shared == "seda" else VITAM_ONTOLOGY
    assert check_ontology(context(manifest, ontology(documents), identifier)) == []


def test_accepts_a_date_with_a_time_zone_and_no_time(identifier: FormatIdentifier) -> None:
    with zipfile.ZipFile(FIXTURES / "sip" / "ok" / "OK_DATE_SHOULD_TRANSFORM_PASS.zip") as archive:
        manifest = read_manifest_bytes(archive.read("manifest.xml"))
    values = {name: value for unit in manifest.units.values() for name, value in field_values(unit.content)}
    assert (values["StartDate"], values["BirthDate"]) == ("2016-10-18T02:15:28.28Z", "2016-09-26")
    assert check_ontology(context(manifest, ontology(ontology_from_seda()), identifier)) == []


def test_refuses_a_unit_whose_tenant_date_field_says_yesterday(
    platform: Platform, identifier: FormatIdentifier
) -> None:
    ReferentialService(platform).import_file(
        1, "ontology", json.dumps([external("DateDeliberation", "DATE")]).encode()
    )
    manifest = deliberation("<DateDeliberation>yesterday</DateDeliberation>")
    with platform.database.unit_of_work() as session:
        commune_a, commune_b = load_referentials(session, 1), load_referentials(session, 2)
    findings = check_ontology(context(manifest, commune_a, identifier))
    assert [(f.step, f.code, f.outcome, f.target) for f in findings] == [
        ("CHECK_UNIT_SCHEMA", "INVALID_UNIT", Outcome.KO, "AU1")
    ]
    assert findings[0].message == (
        "unit AU1: DateDeliberation 'yesterday' is not of type DATE "
        "(expected YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 date-time)"
    )
    assert check_ontology(context(manifest, commune_b, identifier, tenant=2)) == []


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("DATE", "26/09/2016"),
        ("DATE", "2016-02-30"),
        ("DATE", "2016-13"),
        ("DATE", "2016-09-26T25:00:00"),
        ("DATE", ""),
        ("LONG", "12 pièces"),
        ("LONG", "1.5"),
        ("DOUBLE", "1,5"),
        ("BOOLEAN", "oui"),
    ],
)
def test_refuses_a_value_its_field_type_does_not_allow(
    type_: str, value: str, identifier: FormatIdentifier
) -> None:
    manifest = deliberation(f"<Valeur>{value}</Valeur>")
    findings = check_ontology(context(manifest, ontology([external("Valeur", type_)]), identifier))
    assert [(f.code, f.target) for f in findings] == [("INVALID_UNIT", "AU1")]
    assert f"Valeur {value!r} is not of type {type_}" in findings[0].message


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("DATE", "2016"),
        ("DATE", "2016-09"),
        ("DATE", "2016-09-26"),
        ("DATE", "2016-09-26+02:00"),
        ("DATE", " 2016-10-18T21:03:30 "),
        ("DATE", "2016-10-18T02:15:28.28Z"),
        ("LONG", "-12"),
        ("DOUBLE", "1.5e3"),
        ("DOUBLE", "12"),
        ("BOOLEAN", "true"),
        ("BOOLEAN", "0"),
        ("TEXT", "n'importe quoi"),
    ],
)
def test_accepts_a_value_of_its_field_type(type_: str, value: str, identifier: FormatIdentifier) -> None:
    manifest = deliberation(f"<Valeur>{value}</Valeur>")
    assert check_ontology(context(manifest, ontology([external("Valeur", type_)]), identifier)) == []


def test_checks_enumerations_and_nested_and_language_variant_values(identifier: FormatIdentifier) -> None:
    manifest = deliberation(
        "<Seance><DateSeance>hier</DateSeance><Nature>Arrêté</Nature></Seance>"
        '<Seance><DateSeance xml:lang="fr">2024-01-10</DateSeance>'
        '<DateSeance xml:lang="en">today</DateSeance></Seance>'
    )
    fields = [external("DateSeance", "DATE"), external("Nature", "ENUM", Enumeration=["Délibération"])]
    findings = check_ontology(context(manifest, ontology(fields), identifier))
    assert [finding.message.split(" is not")[0] for finding in findings] == [
        "unit AU1: DateSeance 'hier'",
        "unit AU1: Nature 'Arrêté'",
        "unit AU1: DateSeance 'today'",
    ]
    assert findings[1].message.endswith("(expected one of Délibération)")


def test_the_seda_ontology_refuses_a_description_level_outside_its_code_list(
    identifier: FormatIdentifier,
) -> None:
    """The official XSD refuses it too; the relaxed validation, which lets extensions through, does not."""
    findings = check_ontology(
        context(deliberation("", level="Dossier"), ontology(ontology_from_seda()), identifier)
    )
    assert [finding.message.split(" (")[0] for finding in findings] == [
        "unit AU1: DescriptionLevel 'Dossier' is not of type ENUM"
    ]


def test_fields_of_other_collections_and_fields_typed_two_ways_are_not_checked(
    identifier: FormatIdentifier,
) -> None:
    manifest = deliberation("<Size>grand</Size><Numero>A-12</Numero><Montant>beaucoup</Montant>")
    fields = [
        {**external("Size", "LONG"), "Collections": ["ObjectGroup"]},
        external("Numero", "LONG"),
        external("NumeroBis", "KEYWORD", SedaField="Numero"),
        external("Montant", "ENUM"),  # no values known
    ]
    assert check_ontology(context(manifest, ontology(fields), identifier)) == []


def test_nothing_is_checked_without_referentials(identifier: FormatIdentifier) -> None:
    manifest = deliberation("<StartDate>yesterday</StartDate>")
    assert check_ontology(context(manifest, None, identifier)) == []
    assert len(check_ontology(context(manifest, ontology(ontology_from_seda()), identifier))) == 1


def test_a_date_is_a_year_a_month_a_day_or_a_moment() -> None:
    assert [is_date(text) for text in ("2016", "-0044", "2016-09-26Z", "--09", "2016-9-26", "yesterday")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
