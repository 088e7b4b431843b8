"""What one access call may see: its tenant, its access contract, and the day it is made.

Every read of archives goes through an `AccessScope`: a search, a unit, an object, a
download, a DIP. The contract's limits become SQL conditions added to every query, so a
unit the contract does not cover is not found, not counted in facets, not delivered —
there is no second code path where a check could be forgotten.

* originating agencies (`OriginatingAgencies`, or `EveryOriginatingAgency`);
* root units (`RootUnits`: these units and all below them) and excluded ones
  (`ExcludedRootUnits`: these and all below them are never shown);
* object usages (`DataObjectVersion`, or `EveryDataObjectVersion`): which binaries;
* communicability: a contract naming `AccessRule` in `RuleCategoryToFilter` (the reference
  system's field) is a third party's: a unit whose access rule has not ended on the day of
  the call is shown flagged (`#communicable: false`) and its binaries are refused.

The command line run on the server by the instance's operator may work without a contract
(`AccessScope.operator`): that person holds the database and the offers anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true
from sqlalchemy.orm import Session

from archipel.access.model import UnitAncestor, UnitEffectiveRule
from archipel.core.clock import utc_now
from archipel.core.errors import Forbidden, InvalidRequest, NotFound
from archipel.metadata.model import ArchiveUnit, DataObject
from archipel.referential.contracts import AccessContract
from archipel.referential.service import visible_documents

ACCESS_RULE = "AccessRule"


@dataclass(frozen=True)
class AccessScope:
    tenant: int
    contract: AccessContract | None
    """None: the operator on the server, who sees everything."""
    today: date
    agent: str | None = None

    @classmethod
    def operator(cls, tenant: int, agent: str | None = None) -> AccessScope:
        return cls(tenant, None, utc_now().date(), agent)

    @property
    def contract_id(self) -> str | None:
        return self.contract.identifier if self.contract else None

    @property
    def third_party(self) -> bool:
        """Bound by communicability: the contract filters on access rules."""
        filtered = self.contract.extra.get("RuleCategoryToFilter", []) if self.contract else []
        return ACCESS_RULE in filtered

    def unit_filter(self) -> ColumnElement[bool]:
        """The units this contract covers, as a condition on `ArchiveUnit`."""
        contract = self.contract
        if contract is None:
            return true()
        conditions: list[ColumnElement[bool]] = []
        if contract.originating_agencies is not None:
            agencies = list(contract.originating_agencies)
            conditions.append(ArchiveUnit.originating_agency.in_(agencies) if agencies else false())
        if contract.root_units:
            conditions.append(_at_or_under(contract.root_units))
        if contract.excluded_root_units:
            conditions.append(not_(_at_or_under(contract.excluded_root_units)))
        return and_(true(), *conditions)

    def communicable(self) -> ColumnElement[bool]:
        """True for a unit whose every applicable access rule has ended by today."""
        still_closed = (
            select(UnitEffectiveRule.unit_id)
            .where(
                UnitEffectiveRule.tenant_id == ArchiveUnit.tenant_id,
                UnitEffectiveRule.unit_id == ArchiveUnit.id,
                UnitEffectiveRule.category == ACCESS_RULE,
                or_(UnitEffectiveRule.end_date.is_(None), UnitEffectiveRule.end_date > self.today),
            )
            .correlate(ArchiveUnit)
        )
        return not_(exists(still_closed))

    def allows_usage(self, usage: str) -> bool:
        return self.contract is None or self.contract.usages is None or usage in self.contract.usages

    def check_usage(self, obj: DataObject) -> None:
        if not self.allows_usage(obj.usage):
            raise Forbidden(
                f"access contract {self.contract_id} does not allow the {obj.usage} usage of object {obj.id}"
            )


def _at_or_under(unit_ids: tuple[str, ...]) -> ColumnElement[bool]:
    below = (
        select(UnitAncestor.unit_id)
        .where(
            UnitAncestor.tenant_id == ArchiveUnit.tenant_id,
            UnitAncestor.unit_id == ArchiveUnit.id,
            UnitAncestor.ancestor_id.in_(unit_ids),
        )
        .correlate(ArchiveUnit)
    )
    return or_(ArchiveUnit.id.in_(unit_ids), exists(below))


def open_scope(
    session: Session, tenant: int, contract_id: str | None, agent: str | None = None
) -> AccessScope:
    """The scope of a call under the named contract, which must exist and be active in the tenant."""
    if not contract_id:
        raise InvalidRequest(
            "an access contract is required: send X-Access-Contract-Id "
            "(or give the API key a default contract)"
        )
    document = visible_documents(session, tenant, "access-contracts").get(contract_id)
    if document is None:
        raise NotFound(f"access contract {contract_id} not found in tenant {tenant}")
    contract = AccessContract.from_document(document)
    if not contract.active:
        raise Forbidden(f"access contract {contract_id} is inactive")
    return AccessScope(tenant, contract, utc_now().date(), agent)
