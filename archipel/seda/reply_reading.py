"""Reading an ArchiveTransferReply another archive sent back for a transfer of ours.

The receiver of a transfer answers as every SEDA archive does: `MessageRequestIdentifier`
names the transfer it answers (the `MessageIdentifier` we wrote: our operation's id),
`ReplyCode` says whether it took the archives (OK, WARNING) or refused them (KO, with its
events saying why), and an accepted reply lists each unit by the manifest id we gave it
with the system id it has there. The reply is untrusted input like any manifest: parsed
without entities, DTD or network, and checked against the official XSD of its version
before anything is read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from archipel.core.errors import InvalidRequest
from archipel.seda.delivery import official_errors
from archipel.seda.reply import NAMESPACES
from archipel.seda.xml import parse_untrusted

ROOT = "ArchiveTransferReply"
ACCEPTED = ("OK", "WARNING")
MAX_EVENTS = 50


@dataclass(frozen=True)
class ReplyEvent:
    code: str
    outcome: str
    detail: str
    message: str


@dataclass(frozen=True)
class TransferReply:
    """What a reply says, as read from it."""

    request_identifier: str
    """The transfer it answers (our `MessageIdentifier`)."""
    reply_code: str
    message_identifier: str
    """The receiver's id of its reply (its ingest operation)."""
    seda_version: str
    archival_agency: str | None = None
    units: dict[str, str] = field(default_factory=dict)
    """Manifest id of each unit we sent → its system id at the receiver."""
    events: tuple[ReplyEvent, ...] = ()
    """The receiver's events (the first MAX_EVENTS): why it refused, when it did."""

    @property
    def accepted(self) -> bool:
        return self.reply_code in ACCEPTED

    def refusals(self) -> list[ReplyEvent]:
        return [event for event in self.events if event.outcome in ("KO", "FATAL")]


def read_transfer_reply(data: bytes) -> TransferReply:
    """The reply, or InvalidRequest naming what makes it unreadable (not XML, not an
    ArchiveTransferReply, not valid against its XSD, no request identifier)."""
    try:
        root = parse_untrusted(data).getroot()
    except etree.XMLSyntaxError as error:
        raise InvalidRequest(f"the reply is not well-formed XML: {error}") from None
    version = next(
        (number for number, namespace in NAMESPACES.items() if root.tag == f"{{{namespace}}}{ROOT}"), None
    )
    if version is None:
        raise InvalidRequest(f"not a SEDA 2.1, 2.2 or 2.3 {ROOT}: the root element is {root.tag}")
    errors = official_errors(etree.tostring(root), version)
    if errors:
        raise InvalidRequest(
            f"the reply is not valid against the SEDA {version} XSD: {'; '.join(errors[:3])}"
        )
    read = _Reader(NAMESPACES[version])
    request = read.text(root, "MessageRequestIdentifier")
    if not request:
        raise InvalidRequest("the reply names no transfer (MessageRequestIdentifier is empty)")
    return TransferReply(
        request_identifier=request,
        reply_code=read.text(root, "ReplyCode") or "",
        message_identifier=read.text(root, "MessageIdentifier") or "",
        seda_version=version,
        archival_agency=read.text(root, "ArchivalAgency/{ns}Identifier"),
        units=read.units(root),
        events=read.events(root),
    )


class _Reader:
    def __init__(self, namespace: str) -> None:
        self.ns = f"{{{namespace}}}"

    def text(self, node: etree._Element, path: str) -> str | None:
        found = node.find(self.ns + path.format(ns=self.ns))
        return found.text.strip() if found is not None and found.text else None

    def units(self, root: etree._Element) -> dict[str, str]:
        units: dict[str, str] = {}
        for unit in root.iter(f"{self.ns}ArchiveUnit"):
            system_id = self.text(unit, "Content/{ns}SystemId")
            if unit.get("id") and system_id:
                units[unit.get("id", "")] = system_id
        return units

    def events(self, root: etree._Element) -> tuple[ReplyEvent, ...]:
        events = []
        for event in root.iterfind(f"{self.ns}Operation/{self.ns}Event"):
            events.append(
                ReplyEvent(
                    code=self.text(event, "EventTypeCode") or "",
                    outcome=self.text(event, "Outcome") or "",
                    detail=self.text(event, "OutcomeDetail") or "",
                    message=self.text(event, "OutcomeDetailMessage") or "",
                )
            )
            if len(events) == MAX_EVENTS:
                break
        return tuple(events)
