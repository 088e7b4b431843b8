"""The shared referentials `archipel init` loads into tenant 0: once, and never over an import."""

from __future__ import annotations

from support import FIXTURES

from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.referential.formats import formats_of_identifier
from archipel.referential.ontology import ontology_from_seda
from archipel.referential.service import ReferentialService

DROID_FILE = FIXTURES / "referentials" / "formats" / "DROID_SignatureFile_V122.xml"


def referential_operations(platform: Platform) -> list[str | None]:
    with platform.database.unit_of_work() as session:
        return [
            operation.source_name for operation in OperationLog(session, 0).operations(type_="REFERENTIAL")
        ]


def test_init_loads_the_identifier_formats_and_the_seda_ontology_into_tenant_0(platform: Platform) -> None:
    service = ReferentialService(platform)
    assert service.entries(0, "formats") == formats_of_identifier()
    assert service.entries(0, "ontology") == ontology_from_seda()
    assert (service.version(0, "formats"), service.version(0, "ontology")) == (1, 1)
    assert len(referential_operations(platform)) == 2


def test_init_again_changes_nothing_and_logs_nothing(platform: Platform) -> None:
    before = referential_operations(platform)
    platform.initialise()
    platform.initialise()
    service = ReferentialService(platform)
    assert (service.version(0, "formats"), service.version(0, "ontology")) == (1, 1)
    assert referential_operations(platform) == before


def test_init_never_replaces_the_formats_an_administrator_imported(platform: Platform) -> None:
    service = ReferentialService(platform)
    service.import_file(0, "formats", DROID_FILE.read_bytes())
    platform.initialise()
    assert len(service.entries(0, "formats")) == 2544
    assert service.version(0, "formats") == 2


def test_init_adds_back_a_seda_field_tenant_0_lacks_and_keeps_the_others_as_they_are(
    platform: Platform,
) -> None:
    service = ReferentialService(platform)
    service.delete(0, "ontology", "StartDate")
    start_date = next(field for field in ontology_from_seda() if field["Identifier"] == "StartDate")
    service.put(0, "ontology", {**start_date, "Identifier": "Title", "SedaField": "Title", "Type": "KEYWORD"})
    platform.initialise()
    assert service.get(0, "ontology", "StartDate") == start_date
    assert service.get(0, "ontology", "Title")["Type"] == "KEYWORD"
