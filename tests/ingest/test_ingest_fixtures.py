"""The reference system's own test SIPs: each is accepted or refused as Vitam does, for the same reason.

Before each ingest the tenant holds the referentials the reference test suite had loaded
for that SIP (the `needs` column of `expected.csv`), beside the baseline every tenant of
the test instance holds (agencies, rules, ingest contracts).
"""

from __future__ import annotations

import re

import pytest
from lxml import etree
from support import BASELINE_REFERENTIALS, FIXTURES, ExpectedSip, expected_sips

from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.metadata.repository import UnitRepository
from archipel.platform import Platform
from archipel.referential.service import ReferentialService

NEED_KINDS = {
    "profile": "profiles",
    "aup": "unit-profiles",
    "agency": "agencies",
    "contract": "ingest-contracts",
}
"""Kinds of the `needs` column, in the order they must be imported (contracts name profiles)."""
PROFILE_FILES = {
    "PROFIL_TNR_RNG_TEST": "referentials/profiles/OK_profilRNG_mail_Seda2.2.rng",
    "PROFIL_TNR_RNG": "referentials/profiles/profil_ok.rng",
}
"""The RelaxNG file the reference test suite attaches to each profile it imports."""
NEEDS_SIGNATURE_CHECKS = {
    name: "Vitam answers WARNING for a signature element; signature verification is issue 11"
    for name in ("OK_SEDA_2.1_Signature.zip", "OK_SEDA_2.3_SigningInformation.zip")
}
REASONS_WITHOUT_CODE = {"SIP_KO_PathTraversalInFileName.zip": "CHECK_CONTAINER.PATH_TRAVERSAL.KO"}


def expected_code(sip: ExpectedSip) -> str | None:
    """The Vitam code the reason starts with (`CHECK_X.Y.KO`, `CHECK_X=KO`), if any."""
    if sip.name in REASONS_WITHOUT_CODE:
        return REASONS_WITHOUT_CODE[sip.name]
    match = re.match(r"^([A-Z_][A-Z0-9_.]*)(?:=|\.)(KO|WARNING)\b", sip.reason)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def cases() -> list[object]:
    params = []
    for sip in expected_sips():
        if sip.path.parent.name not in ("ok", "ko"):
            continue
        marks = []
        if sip.name in NEEDS_SIGNATURE_CHECKS:
            marks.append(pytest.mark.xfail(strict=True, reason=NEEDS_SIGNATURE_CHECKS[sip.name]))
        params.append(pytest.param(sip, id=sip.name, marks=marks))
    return params


def load_needs(platform: Platform, sip: ExpectedSip, tenant: int) -> None:
    """Imports the files of the SIP's `needs` that the baseline does not hold."""
    wanted: dict[str, set[str]] = {kind: set() for kind in NEED_KINDS.values()}
    for need in sip.needs.split(";"):
        label, _, path = need.strip().rpartition("@")
        path = path.split(" (")[0]  # "IC_2194.json (INACTIVE)": a remark after the file
        kind = NEED_KINDS.get(label.split(":", 1)[0])
        if kind and path not in dict(BASELINE_REFERENTIALS).values():
            wanted[kind].add(path)
    service = ReferentialService(platform)
    for kind, paths in wanted.items():
        for path in sorted(paths):
            report = service.import_file(tenant, kind, (FIXTURES / path).read_bytes())
            for identifier in report.created if kind == "profiles" else ():
                if identifier in PROFILE_FILES:
                    rng = (FIXTURES / PROFILE_FILES[identifier]).read_bytes()
                    service.attach_file(tenant, kind, identifier, rng)


def ingest(platform: Platform, sip: ExpectedSip, tenant: int = 1) -> tuple[str, Outcome]:
    load_needs(platform, sip, tenant)
    service = IngestService(platform)
    operation_id = service.submit(tenant, sip.path, sip.name, agent="test")
    return operation_id, service.run(tenant, operation_id).outcome


def offer_keys(platform: Platform, prefix: str) -> list[str]:
    return [entry.key for offer in platform.storage.offers for entry in offer.list(prefix)]


@pytest.mark.parametrize("sip", cases())
def test_fixture_sip_gets_the_reference_outcome(platform: Platform, sip: ExpectedSip) -> None:
    operation_id, outcome = ingest(platform, sip)
    with platform.database.unit_of_work() as session:
        logbook = OperationLog(session, 1)
        operation = logbook.get(operation_id)
        events = logbook.events(operation_id)
        units = UnitRepository(session, 1).units(limit=100_000)
    codes = [event.code for event in events]
    assert operation.status == "DONE"
    assert operation.reply is not None
    reply = etree.fromstring(operation.reply)
    reply_code = reply.find("{*}ReplyCode")
    assert reply_code is not None

    if sip.expected == "KO":
        assert outcome is Outcome.KO, codes
        code = expected_code(sip)
        if code:
            assert any(found and found.endswith(code) for found in codes), (code, codes)
        assert units == []
        assert offer_keys(platform, "tenants/1/objects") == []
        assert offer_keys(platform, "tenants/1/units") == []
        assert reply_code.text == "KO"
    else:
        assert outcome.value == sip.expected, [e.code for e in events if e.outcome != "OK"]
        assert reply_code.text == sip.expected
        assert len(units) == operation.units > 0
        for offer in platform.storage.offers:
            assert len(list(offer.list("tenants/1/objects"))) == operation.objects
