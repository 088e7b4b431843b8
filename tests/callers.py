"""A client speaking as one tenant's API key: the HTTP tests' caller.

Kept out of `tests/api/conftest.py` so test modules import it by a name that is theirs
alone: `from conftest import ...` finds whichever folder's conftest came first when pytest
is given several folders.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient


@dataclass(frozen=True)
class Caller:
    """A client speaking as one tenant's key."""

    client: TestClient
    tenant: int
    key: str

    def headers(self, tenant: int | None = None) -> dict[str, str]:
        return {"X-Tenant-Id": str(self.tenant if tenant is None else tenant), "X-Api-Key": self.key}
