"""Findings: what a check of a SIP found, as a code archivists already read.

Codes follow the reference SAE's ingest workflow (`CHECK_DIGEST`,
`CHECK_SEDA.NOT_XSD_VALID`, ...), so a reply or logbook of Archipel reads like Vitam's.
Checks return findings instead of raising; a step collects all of them before the
pipeline decides, so the depositor can fix everything in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """Step outcomes, in increasing order of gravity."""

    OK = "OK"
    WARNING = "WARNING"
    KO = "KO"
    """Refused for a reason the depositor can fix."""
    FATAL = "FATAL"
    """A technical failure on our side: the depositor is not at fault."""

    @property
    def rank(self) -> int:
        return list(Outcome).index(self)


def worst(outcomes: list[Outcome] | tuple[Outcome, ...]) -> Outcome:
    """The gravest outcome of a list, OK for an empty one."""
    return max(outcomes, key=lambda outcome: outcome.rank, default=Outcome.OK)


@dataclass(frozen=True)
class Finding:
    """One thing a check found: `step` and `code` compose Vitam-style keys.

    `target` names what it is about: a ZIP entry, a manifest id (`ID7`), `manifest.xml`.
    """

    step: str
    outcome: Outcome
    message: str
    code: str | None = None
    target: str | None = None

    @property
    def key(self) -> str:
        """E.g. `CHECK_SEDA.NOT_XSD_VALID.KO` or `CHECK_DIGEST.KO`."""
        parts = [self.step, self.code, self.outcome.value] if self.code else [self.step, self.outcome.value]
        return ".".join(parts)


def ko(step: str, message: str, code: str | None = None, target: str | None = None) -> Finding:
    return Finding(step, Outcome.KO, message, code, target)


def warning(step: str, message: str, code: str | None = None, target: str | None = None) -> Finding:
    return Finding(step, Outcome.WARNING, message, code, target)


def fatal(step: str, message: str, code: str | None = None, target: str | None = None) -> Finding:
    return Finding(step, Outcome.FATAL, message, code, target)


def ko_each(
    step: str, code: str, target: str | None, messages: list[str], limit: int, what: str
) -> list[Finding]:
    """One KO per message, the first `limit` of them, then one saying how many more `what` there are:
    a reply must name the faults, not drown the depositor in ten thousand of them."""
    findings = [ko(step, message, code, target) for message in messages[:limit]]
    if len(messages) > limit:
        findings.append(ko(step, f"…and {len(messages) - limit} more {what}", code, target))
    return findings
