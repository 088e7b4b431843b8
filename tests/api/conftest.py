"""An HTTP client on an instance, with an API key for each commune."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from callers import Caller
from fastapi.testclient import TestClient
from support import ACCESS_CONTRACT

from archipel.admin import service as admin
from archipel.api.app import create_app
from archipel.platform import Platform


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as test_client:
        yield test_client


def _caller(platform: Platform, client: TestClient, tenant: int) -> Caller:
    with platform.database.unit_of_work() as session:
        key = admin.create_api_key(session, tenant, "test", access_contract=ACCESS_CONTRACT).secret
    return Caller(client, tenant, key)


@pytest.fixture
def commune_a(platform: Platform, client: TestClient) -> Caller:
    return _caller(platform, client, 1)


@pytest.fixture
def commune_b(platform: Platform, client: TestClient) -> Caller:
    return _caller(platform, client, 2)
