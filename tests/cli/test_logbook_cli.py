"""`archipel logbook lifecycle|secure|verify`: JSON on stdout, exit 1 when verify fails, 2 on bad usage."""

from __future__ import annotations

import json
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from support import FIXTURES
from test_cli import OK_SIP, archipel, as_json

from archipel.logbook.tsa import KEY_FILE


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("logbook-cli") / "home"
    assert archipel(folder, "init").returncode == 0
    agencies = FIXTURES / "referentials" / "agencies" / "agencies_init.csv"
    assert (
        archipel(folder, "referential", "import", "agencies", str(agencies), "--tenant", "1").returncode == 0
    )
    assert archipel(folder, "ingest", str(OK_SIP), "--tenant", "1").returncode == 0
    return folder


def test_init_made_the_local_time_stamping_authority(home: Path) -> None:
    assert stat.S_IMODE((home / "tsa" / KEY_FILE).stat().st_mode) == 0o600


def test_lifecycle_of_a_unit(home: Path) -> None:
    unit = as_json(archipel(home, "units", "list", "--tenant", "1", "--json"))[0]["id"]
    result = as_json(archipel(home, "logbook", "lifecycle", unit, "--tenant", "1", "--json"))
    assert result["id"] == unit and [entry["event"] for entry in result["lifecycle"]] == ["LFC.INGEST"]
    missing = archipel(home, "logbook", "lifecycle", "01a21295-0000-7000-8000-000000000000", "--tenant", "1")
    assert missing.returncode == 1 and "no lifecycle" in missing.stderr


def test_secure_then_verify_then_a_changed_event_fails_verification(home: Path) -> None:
    secured = as_json(archipel(home, "logbook", "secure", "--tenant", "1", "--json"))
    assert secured["entries"] > 0 and len(secured["root"]) == 128 and secured["operation_id"]
    again = archipel(home, "logbook", "secure", "--tenant", "1")
    assert again.returncode == 0 and "nothing to secure" in again.stdout
    report = as_json(archipel(home, "logbook", "verify", "--tenant", "1", "--json"))
    assert report == {"ok": True, "entries": report["entries"], "securings": 1, "faults": []}

    with closing(sqlite3.connect(home / "archipel.db")) as database:
        database.execute("DROP TRIGGER logbook_events_no_update")
        database.execute(
            "UPDATE logbook_events SET message = 'x' WHERE rowid = (SELECT max(rowid) FROM logbook_events)"
        )
        database.commit()
    failed = archipel(home, "logbook", "verify", "--tenant", "1", "--json")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["ok"] is False and json.loads(failed.stdout)["faults"]


def test_an_unknown_tenant_is_bad_usage(home: Path) -> None:
    assert archipel(home, "logbook", "verify", "--tenant", "99").returncode == 2
