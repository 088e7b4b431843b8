"""A PostgreSQL server of the test's own, so a test can kill it without harming any other test.

The machine's server (127.0.0.1:5432) is shared by every test running side by side; stopping
it would fail them all. This one is made with `initdb` in the test's folder, on a free port,
and run as the `postgres` system user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql")


def _tool(name: str) -> str:
    found = sorted(BIN.glob(f"*/bin/{name}"))
    if not found:
        pytest.skip(f"PostgreSQL's {name} is not installed")
    return str(found[-1])


class PrivateServer:
    def __init__(self, folder: Path) -> None:
        self.data = folder / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._folder = folder

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self._folder, "postgres")
        self._as_postgres(_tool("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self._folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self._folder / "server.log")
        self._as_postgres(_tool("pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def kill(self) -> None:
        """`immediate`: the server stops at once, aborting every connection and transaction."""
        self._as_postgres(_tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivateServer]:
    """A running server in a folder of its own under the temporary directory (pytest's folders are
    private to root, where the `postgres` user cannot enter), removed afterwards."""
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start a PostgreSQL server")
    folder = Path(tempfile.mkdtemp(prefix="archipel-postgres-"))
    server = PrivateServer(folder)
    try:
        server.create()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.kill()  # unless already stopped
        shutil.rmtree(folder, ignore_errors=True)
