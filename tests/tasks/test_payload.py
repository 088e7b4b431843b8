"""What crosses the task queue: the arguments of every background service, as JSON, and nothing else."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from http import HTTPStatus
from pathlib import Path

import pytest

from archipel.access.dip import DipRequest
from archipel.access.scope import AccessScope
from archipel.lifecycle.mass_update import MassUpdateRequest
from archipel.lifecycle.update_actions import RuleAddition, RuleRemoval, UpdateActions
from archipel.referential.contracts import AccessContract
from archipel.storage.audit import AuditRequest
from archipel.storage.copies import AuditKind
from archipel.storage.selection import ObjectSelection
from archipel.tasks.payload import PayloadError, decode, encode

CONTRACT = AccessContract(
    identifier="AC-PUBLIC",
    name="Lecteurs",
    active=True,
    originating_agencies=("Service_producteur",),
    root_units=("0193a1b2-c3d4-7e5f-8a6b-0c1d2e3f4a5b",),
    extra={"RuleCategoryToFilter": ["AccessRule"], "Nested": {"a": [1, 2.5, None, True]}},
)
SCOPE = AccessScope(1, CONTRACT, date(2026, 12, 3), "archiviste")

ARGUMENTS = {
    "an audit request": AuditRequest(
        AuditKind.INTEGRITY, ObjectSelection(1, ("u1", "u2"), "op"), repair=True
    ),
    "a mass update under a contract": MassUpdateRequest(
        SCOPE,
        {"$query": {"$match": {"Title": "délibération"}}},
        UpdateActions(
            set_fields={"Description": "Conseil municipal"},
            unset_fields=("Tag",),
            add_rules=(RuleAddition("AppraisalRule", "APP-10", date(2020, 1, 1)),),
            remove_rules=(RuleRemoval("AccessRule", "ACC-25"),),
        ),
    ),
    "a DIP request": DipRequest(query=None, unit_ids=("u1",), requester="Mairie", comment="copie"),
    "the operator's scope": AccessScope.operator(2, "cli"),
    "plain values": [1, "two", None, 3.5, ("a", "b"), {"k": date(2026, 1, 1)}, Path("/srv/sip.zip")],
    "a moment": datetime(2026, 12, 3, 14, 0, tzinfo=UTC),
}


@pytest.mark.parametrize("value", ARGUMENTS.values(), ids=ARGUMENTS.keys())
def test_every_background_argument_crosses_the_queue_as_json_and_comes_back_equal(value: object) -> None:
    message = json.dumps(encode(value))
    assert decode(json.loads(message)) == value
    assert repr(decode(json.loads(message))) == repr(value)  # the same types, not merely equal ones


def test_a_set_or_a_foreign_object_is_refused_when_sent_not_silently_mangled() -> None:
    with pytest.raises(PayloadError, match="set"):
        encode({"APP-10", "APP-20"})
    with pytest.raises(PayloadError, match="JSONDecoder"):
        encode(json.JSONDecoder())
    with pytest.raises(PayloadError, match="only Archipel's own types"):
        encode(HTTPStatus.OK)


@pytest.mark.parametrize(
    "named",
    [
        "os:system",
        "subprocess:Popen",
        "archipel.platform:Platform",  # an Archipel class, but neither a dataclass nor an enumeration
        "archipel.storage.audit:NoSuchThing",
        "archipel.storage.copies",
    ],
)
def test_a_message_naming_any_other_type_is_refused_so_the_broker_cannot_run_code(named: str) -> None:
    with pytest.raises(PayloadError):
        decode({"$type": named, "$value": {"args": ["rm -rf /"]}})
