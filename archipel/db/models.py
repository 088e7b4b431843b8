"""Imports every package's tables so that `Base.metadata` knows the whole schema.

Alembic's autogeneration and the migration tests read the schema from here.
"""

from archipel.access.model import AccessRecord, UnitAncestor, UnitEffectiveRule, UnitField, UnitText
from archipel.admin.model import ApiKey, LoginAttempt, Organisation, Tenant, User, UserRole
from archipel.admin.volumetry_model import VolumetryChange
from archipel.collect.collect_model import CollectProject, CollectTransaction, CollectUnit
from archipel.db.base import Base
from archipel.lifecycle.model import EliminationAnalysis, EliminationRequest
from archipel.logbook.model import (
    ChainEntry,
    ChainHead,
    LifecycleEntry,
    LogbookEvent,
    LogbookSecuring,
    Operation,
)
from archipel.metadata.model import ArchiveUnit, DataObject, ObjectGroup, UnitParent, UnitRule
from archipel.referential.model import ReferentialChange, ReferentialEntry, ReferentialVersion
from archipel.storage.model import PendingWrite

__all__ = [
    "AccessRecord",
    "ApiKey",
    "ArchiveUnit",
    "Base",
    "ChainEntry",
    "ChainHead",
    "CollectProject",
    "CollectTransaction",
    "CollectUnit",
    "DataObject",
    "EliminationAnalysis",
    "EliminationRequest",
    "LifecycleEntry",
    "LogbookEvent",
    "LogbookSecuring",
    "LoginAttempt",
    "ObjectGroup",
    "Operation",
    "Organisation",
    "PendingWrite",
    "ReferentialChange",
    "ReferentialEntry",
    "ReferentialVersion",
    "Tenant",
    "UnitAncestor",
    "UnitEffectiveRule",
    "UnitField",
    "UnitParent",
    "UnitRule",
    "UnitText",
    "User",
    "UserRole",
    "VolumetryChange",
]
