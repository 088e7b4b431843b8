"""Rebuild rate: the index rebuilt from one offer, in units per second.

Run by hand: `python benchmarks/rebuild.py [--units 100000]`. Ingests one SIP of that many
small units (each with one object) into a fresh embedded instance, then rebuilds the index
from one offer into an empty database and prints the rate.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from archipel.collect.sip_builder import Document, build_sip
from archipel.core.settings import load_settings
from archipel.ingest.service import IngestService
from archipel.metadata.rebuild import rebuild
from archipel.platform import Platform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="archipel-rebuild-"))
    try:
        sip = build_sip(
            folder / "sip.zip",
            (Document(f"Acte {i}", f"acte-{i}.txt", f"Acte n°{i}\n".encode()) for i in range(args.units)),
        )
        home = folder / "home"
        platform = Platform(load_settings(home, demo=True))
        platform.initialise()  # the demo communes hold the contract and agencies a built SIP names
        service = IngestService(platform)
        start = time.perf_counter()
        result = service.run(1, service.submit(1, sip.path, sip.path.name))
        print(f"ingest: {result.units} units, {result.outcome.value}, {time.perf_counter() - start:.1f} s")
        platform.close()

        fresh = Platform(load_settings(home, database_url=f"sqlite:///{folder / 'rebuilt.db'}", demo=False))
        fresh.initialise()
        start = time.perf_counter()
        report = rebuild(fresh, "offer-2")
        elapsed = time.perf_counter() - start
        fresh.close()
        print(
            f"rebuild: {report.units} units, {report.objects} objects, "
            f"{report.logbook_entries} logbook entries in {elapsed:.1f} s "
            f"= {report.units / elapsed:.0f} units/s"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
