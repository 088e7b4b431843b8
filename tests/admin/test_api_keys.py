"""An API key opens exactly one tenant; only a hash of its secret is stored."""

from __future__ import annotations

import pytest

from archipel.admin import service as admin
from archipel.admin.model import ApiKey
from archipel.core.errors import Conflict, Forbidden, Unauthenticated
from archipel.platform import Platform


def test_a_key_opens_its_own_tenant(embedded: Platform) -> None:
    with embedded.database.unit_of_work() as session:
        issued = admin.create_api_key(session, 1)
        assert admin.authenticate(session, issued.secret, 1).id == issued.key_id


def test_a_key_of_another_tenant_is_forbidden(embedded: Platform) -> None:
    with embedded.database.unit_of_work() as session:
        issued = admin.create_api_key(session, 1)
        with pytest.raises(Forbidden):
            admin.authenticate(session, issued.secret, 2)


@pytest.mark.parametrize("presented", [None, "", "secret", "ak_nothing", "ak_0190.wrong"])
def test_unknown_or_malformed_keys_are_unauthenticated(embedded: Platform, presented: str | None) -> None:
    with embedded.database.unit_of_work() as session, pytest.raises(Unauthenticated):
        admin.authenticate(session, presented, 1)


def test_a_tampered_secret_is_unauthenticated(embedded: Platform) -> None:
    with embedded.database.unit_of_work() as session:
        issued = admin.create_api_key(session, 1)
        with pytest.raises(Unauthenticated):
            admin.authenticate(session, issued.secret[:-2] + "xx", 1)


def test_the_secret_itself_is_never_stored(embedded: Platform) -> None:
    with embedded.database.unit_of_work() as session:
        issued = admin.create_api_key(session, 1)
        stored = session.get(ApiKey, issued.key_id)
        assert stored is not None
        assert issued.secret.split(".", 1)[1] not in stored.secret_sha256


def test_tenant_names_are_unique(embedded: Platform) -> None:
    with embedded.database.unit_of_work() as session, pytest.raises(Conflict):
        admin.create_tenant(session, "Commune A")
