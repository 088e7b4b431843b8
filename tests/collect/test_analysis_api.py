"""`POST /api/v1/analyses`: a folder sent as a ZIP is unpacked safely and answered with its report."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from support import FIXTURES
from vrac_tree import PDF

from archipel.admin import service as admin
from archipel.admin.roles import Role
from archipel.api.app import create_app
from archipel.collect.analysis_zip import ZipRefused, analyse_zip
from archipel.core.settings import ZipLimits
from archipel.platform import Platform

URL = "/api/v1/analyses"


def make_zip(path: Path, entries: dict[str, tuple[bytes, tuple[int, ...]]], extra: bytes = b"") -> Path:
    """Entries name → (bytes, DOS date); a name ending with "/" is a folder."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, (content, date) in entries.items():
            info = zipfile.ZipInfo(name, date_time=date)  # type: ignore[arg-type]
            info.extra = extra
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return path


VRAC_ZIP = {
    "Délibérations/2019/rapport.pdf": (PDF, (2019, 5, 1, 10, 0, 0)),
    "Délibérations/2020/copie de rapport.pdf": (PDF, (2020, 2, 2, 0, 0, 0)),
    "notes?.txt": (b"notes\n", (2021, 3, 3, 0, 0, 0)),
    "vide.txt": (b"", (2021, 4, 4, 0, 0, 0)),
    "dossier vide/": (b"", (2021, 4, 4, 0, 0, 0)),
}


@dataclass(frozen=True)
class Api:
    """The HTTP API of an embedded instance, called with a new key of tenant 1 per call."""

    client: TestClient
    platform: Platform

    def analyse(self, sent: Path, role: Role = Role.DEPOSITOR) -> Response:
        with self.platform.database.unit_of_work() as session:
            key = admin.create_api_key(session, 1, role.value, role=role).secret
        headers = {"X-Tenant-Id": "1", "X-Api-Key": key, "X-Filename": sent.name}
        return self.client.post(URL, content=sent.read_bytes(), headers=headers)


@pytest.fixture
def api(embedded: Platform) -> Iterator[Api]:
    with TestClient(create_app(embedded)) as client:
        yield Api(client, embedded)


def test_answers_the_report_of_an_uploaded_zip(api: Api, tmp_path: Path) -> None:
    response = api.analyse(make_zip(tmp_path / "vrac.zip", VRAC_ZIP))

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["root"], report["files"], report["folders"]) == ("vrac.zip", 4, 4)
    assert report["bytes"] == 2 * len(PDF) + 6 and report["depth"] == 3
    assert report["duplicates"]["largest"] == [
        {
            "sha256": hashlib.sha256(PDF).hexdigest(),
            "size": len(PDF),
            "copies": 2,
            "wasted_bytes": len(PDF),
            "paths": ["Délibérations/2019/rapport.pdf", "Délibérations/2020/copie de rapport.pdf"],
        }
    ]
    assert report["dates"]["oldest"]["modified"] == "2019-05-01T10:00:00+00:00"
    assert report["dates"]["newest"] == {"path": "vide.txt", "modified": "2021-04-04T00:00:00+00:00"}
    assert [fmt["puid"] for fmt in report["formats"]] == ["fmt/18", "x-fmt/111", None]
    problems = {problem["code"]: problem["paths"] for problem in report["problems"]}
    assert problems == {
        "EMPTY_FILE": ["vide.txt"],
        "EMPTY_FOLDER": ["dossier vide/"],
        "FORBIDDEN_CHARACTER": ["notes?.txt"],
    }
    assert not list((api.platform.settings.work_dir / "analyses").iterdir())  # nothing left behind


def test_refuses_a_zip_escaping_its_folder_naming_the_entry(api: Api) -> None:
    response = api.analyse(FIXTURES / "sip/ko/SIP_KO_PathTraversalInFileName.zip")

    assert response.status_code == 400
    assert response.json()["code"] == "ZIP_REFUSED"
    assert "'../../BadFile.txt'" in response.json()["message"]


def test_refuses_a_zip_bomb_before_unpacking_it(api: Api, tmp_path: Path) -> None:
    bomb = make_zip(tmp_path / "bomb.zip", {"zeros.bin": (bytes(8 * 1024 * 1024), (2020, 1, 1, 0, 0, 0))})

    response = api.analyse(bomb)

    assert response.status_code == 400
    assert "'zeros.bin'" in response.json()["message"] and "zip bomb" in response.json()["message"]


def test_a_reader_may_not_analyse(api: Api, tmp_path: Path) -> None:
    response = api.analyse(make_zip(tmp_path / "vrac.zip", VRAC_ZIP), Role.READER)

    assert response.status_code == 403 and "ingest" in response.json()["message"]


def test_reads_the_utc_time_of_the_extended_timestamp_field(tmp_path: Path) -> None:
    moment = datetime(2022, 7, 14, 8, 30, 15, tzinfo=UTC)
    extended = struct.pack("<HHBi", 0x5455, 5, 1, int(moment.timestamp()))
    sent = make_zip(tmp_path / "x.zip", {"a.txt": (b"a\n", (1999, 1, 1, 0, 0, 0))}, extra=extended)

    report = analyse_zip(sent, "x.zip", ZipLimits(), None, tmp_path / "scratch")

    assert report.dates.oldest is not None and report.dates.oldest.modified == "2022-07-14T08:30:15+00:00"


def test_refuses_more_entries_than_the_limits_allow(tmp_path: Path) -> None:
    sent = make_zip(tmp_path / "x.zip", {f"{n}.txt": (b"x", (2020, 1, 1, 0, 0, 0)) for n in range(3)})

    with pytest.raises(ZipRefused, match="3 entries"):
        analyse_zip(sent, "x.zip", ZipLimits(max_entries=2), None, tmp_path / "scratch")
