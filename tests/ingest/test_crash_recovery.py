"""An ingest killed at any moment leaves, after restart, either the whole SIP or nothing.

A real `archipel ingest` process is killed with SIGKILL (no cleanup code can run), then
the instance is opened again, which runs recovery.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support import make_platform

from archipel.collect.sip_builder import Document, build_sip
from archipel.core.settings import load_settings
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.storage.model import PendingWrite

pytestmark = pytest.mark.slow

DOCUMENTS = 120
DOCUMENT_BYTES = 256 * 1024


@pytest.fixture(scope="module")
def large_sip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(7)
    documents = [
        Document(f"Pièce {i}", f"piece-{i}.bin", rng.randbytes(DOCUMENT_BYTES)) for i in range(DOCUMENTS)
    ]
    return build_sip(tmp_path_factory.mktemp("sip") / "large.zip", documents).path


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def _storage_started(home: Path) -> bool:
    return bool(_files_under(home / "offers" / "offer-1" / "tenants" / "1" / "objects"))


def _checks_started(home: Path) -> bool:
    folder = home / "work" / "ingests"
    return folder.exists() and any(folder.iterdir())


def _kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 120) -> bool:
    """SIGKILLs the process once `ready()` holds; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.kill()
    raise AssertionError("the ingest never reached the moment to kill it")


def _start_ingest(home: Path, sip: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ARCHIPEL_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "archipel", "ingest", str(sip), "--tenant", "1", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _state_after_restart(home: Path) -> tuple[Platform, list[str], int, int]:
    platform = Platform(load_settings(home))
    platform.initialise()
    with platform.database.unit_of_work() as session:
        operations = OperationLog(session, 1).operations(type_="INGEST")
        outcomes = [operation.outcome or "" for operation in operations]
        units = len(UnitRepository(session, 1).units(limit=100_000))
        pending = session.query(PendingWrite).count()
    assert pending == 0
    objects = [
        len(_files_under(Path(str(offer.root)) / "tenants" / "1" / "objects"))
        for offer in platform.storage.offers
    ]
    assert objects[0] == objects[1]
    return platform, outcomes, units, objects[0]


@pytest.mark.parametrize("moment", ["during checks", "during storage"])
def test_killed_ingest_is_rolled_back_at_restart(tmp_path: Path, large_sip: Path, moment: str) -> None:
    home = tmp_path / "home"
    make_platform(home, f"sqlite:///{home / 'archipel.db'}").close()
    process = _start_ingest(home, large_sip)
    ready = _checks_started if moment == "during checks" else _storage_started
    assert _kill_when(process, lambda: ready(home)), process.stderr.read() if process.stderr else ""

    platform, outcomes, units, objects = _state_after_restart(home)
    try:
        assert outcomes == ["FATAL"]
        assert units == 0 and objects == 0
        with platform.database.unit_of_work() as session:
            logbook = OperationLog(session, 1)
            events = logbook.events(logbook.operations(type_="INGEST")[0].id)
        assert events[-1].step == "STP_ROLLBACK"
        assert "rolled back" in events[-1].message
        for offer in platform.storage.offers:
            assert _files_under(Path(str(offer.root)) / ".tmp") == []
            assert not any("/units/" in entry.key for entry in offer.list("tenants/1"))
    finally:
        platform.close()


def test_ingest_killed_at_random_moments_keeps_all_or_nothing(tmp_path: Path, large_sip: Path) -> None:
    rng = random.Random(2026)
    home = tmp_path / "home"
    make_platform(home, f"sqlite:///{home / 'archipel.db'}").close()
    accepted = 0
    for _ in range(3):
        process = _start_ingest(home, large_sip)
        time.sleep(rng.uniform(0.5, 6.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
        platform, outcomes, units, objects = _state_after_restart(home)
        platform.close()
        accepted = outcomes.count("OK")
        assert set(outcomes) <= {"OK", "FATAL"}
        assert units == accepted * (DOCUMENTS + 1)
        assert objects == accepted * DOCUMENTS
