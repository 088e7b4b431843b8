"""Referential costs: imports of growing size, and what referential checks add to an ingest.

Run by hand: `python benchmarks/referentials.py [--rules 5000]`. On a fresh embedded
instance it times the first `init` (which loads the shared PRONOM formats and the SEDA
ontology), an import of N generated management rules, a re-import of the same file (nothing
changes), the load of a tenant's referentials (done once per ingest), and an ingest of a
SIP of 1,000 small units under the demo contract.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from archipel.admin import service as admin
from archipel.collect.sip_builder import Document, build_sip
from archipel.core.settings import load_settings
from archipel.ingest.service import IngestService
from archipel.platform import Platform
from archipel.referential.service import ReferentialService
from archipel.referential.view import load_referentials

HEADER = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"


def timed(label: str, action: object) -> object:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    print(f"{label:<52} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=5000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="archipel-referentials-"))
    try:
        platform = Platform(load_settings(folder / "home", demo=True))
        timed("first init (formats, ontology, demo tenants)", platform.initialise)
        timed("init again (nothing to do)", platform.initialise)
        service = ReferentialService(platform)
        rules = HEADER + "".join(
            f"ACC-{i:05d},AccessRule,Règle {i},Délai de communicabilité {i},{i % 100},Year\n"
            for i in range(args.rules)
        )
        timed(f"import of {args.rules} rules", lambda: service.import_file(1, "rules", rules.encode()))
        timed(
            f"same {args.rules} rules again (no change)",
            lambda: service.import_file(1, "rules", rules.encode()),
        )

        def load() -> object:
            with platform.database.unit_of_work() as session:
                return load_referentials(session, 1)

        timed("load of tenant 1's referentials (once per ingest)", load)
        with platform.database.unit_of_work() as session:
            admin.require_tenant(session, 1)
        sip = build_sip(folder / "sip.zip", (Document(f"Acte {i}", f"a{i}.txt", b"x") for i in range(1000)))
        ingest = IngestService(platform)
        operation = ingest.submit(1, sip.path)
        result = timed("ingest of 1,000 units (demo contract)", lambda: ingest.run(1, operation))
        print(f"ingest outcome: {result.outcome.value}")  # type: ignore[attr-defined]
        platform.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
