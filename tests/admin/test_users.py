"""Users hold roles per tenant; only an argon2 hash of a password is kept; anonymising keeps the id."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archipel.admin import service as admin
from archipel.admin import users
from archipel.admin.model import ApiKey, LoginAttempt, User
from archipel.admin.roles import Role, parse_role
from archipel.admin.service import UnknownTenant
from archipel.core.clock import utc_now
from archipel.core.errors import Conflict, Forbidden, InvalidRequest, Unauthenticated
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"


def test_a_user_holds_different_roles_on_different_tenants(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "archiviste", PASSWORD)
        users.grant(session, "archiviste", 1, Role.ARCHIVIST)
        user = users.grant(session, "archiviste", 2, Role.READER)
        assert users.describe(session, user) == {
            "login": "archiviste",
            "roles": [{"tenant": 1, "role": "archivist"}, {"tenant": 2, "role": "reader"}],
        }
        assert users.roles_on(session, user.id, 1) == {Role.ARCHIVIST}
        assert users.roles_on(session, user.id, 0) == frozenset()


def test_granting_twice_changes_nothing_and_revoking_takes_the_role_back(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "lecteur")
        users.grant(session, "lecteur", 1, Role.READER)
        users.grant(session, "lecteur", 1, Role.READER)
        user = users.revoke(session, "lecteur", 1, Role.READER)
        assert users.describe(session, user)["roles"] == []


def test_a_role_on_a_tenant_nobody_created_is_refused(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "lecteur")
        with pytest.raises(UnknownTenant):
            users.grant(session, "lecteur", 99, Role.READER)


def test_an_unknown_role_is_refused_naming_the_roles_that_exist() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_role("superuser")
    assert all(role.value in refused.value.message for role in Role)


def test_the_password_itself_is_never_stored(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        user = users.create_user(session, "archiviste", PASSWORD)
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


@pytest.mark.parametrize("login", ["", "  ", "jean dupont", "x" * 201, "anonymised-someone"])
def test_malformed_logins_are_refused(platform: Platform, login: str) -> None:
    with platform.database.unit_of_work() as session, pytest.raises(InvalidRequest):
        users.create_user(session, login)


def test_short_passwords_and_duplicate_logins_are_refused(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        with pytest.raises(InvalidRequest):
            users.create_user(session, "archiviste", "short")
        users.create_user(session, "archiviste", PASSWORD)
        with pytest.raises(Conflict):
            users.create_user(session, "archiviste")


def test_a_user_opens_only_the_tenants_they_hold_a_role_on(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        user = users.grant(session, users.create_user(session, "lecteur").login, 1, Role.READER)
        assert users.open_tenant(session, user.id, 1).roles == {Role.READER}
        with pytest.raises(Forbidden):
            users.open_tenant(session, user.id, 2)
        user.active = False
        with pytest.raises(Unauthenticated):
            users.open_tenant(session, user.id, 1)


def test_anonymising_replaces_the_identity_and_keeps_the_id_logbooks_name(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        user = users.create_user(session, "jdupont", PASSWORD)
        users.grant(session, "jdupont", 1, Role.ARCHIVIST)
        session.add(LoginAttempt(login="jdupont", address="192.0.2.1", at=utc_now(), succeeded=True))
        user_id = user.id
    with platform.database.unit_of_work() as session:
        pseudonym = users.anonymise(session, "jdupont")
    with platform.database.unit_of_work() as session:
        stored = session.get(User, user_id)
        assert stored is not None and stored.login == pseudonym and user_id in pseudonym
        assert stored.password_hash is None and not stored.active and stored.anonymised
        assert users.roles_on(session, user_id, 1) == frozenset()
        assert session.scalars(select(LoginAttempt).where(LoginAttempt.login == "jdupont")).all() == []
        assert session.scalars(select(User).where(User.login == "jdupont")).first() is None


def test_a_visa_needs_the_approver_role_once_users_exist(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        users.require_approver(session, 1, "directrice")  # no user yet: recorded by login, as before
        users.create_user(session, "directrice")
        users.grant(session, "directrice", 1, Role.TENANT_ADMIN)
        with pytest.raises(Forbidden):
            users.require_approver(session, 1, "directrice")
        users.grant(session, "directrice", 1, Role.APPROVER)
        users.require_approver(session, 1, "directrice")
        with pytest.raises(Forbidden):
            users.require_approver(session, 2, "directrice")
        with pytest.raises(Forbidden):
            users.require_approver(session, 1, "personne")


def test_keys_are_tenant_admins_unless_made_for_less(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        default = admin.create_api_key(session, 1)
        depositor = admin.create_api_key(session, 1, "versement", role=Role.DEPOSITOR)
        assert admin.authenticate(session, default.secret, 1).role == "tenant-admin"
        assert admin.authenticate(session, depositor.secret, 1).role == "depositor"
        stored = session.get(ApiKey, depositor.key_id)
        assert stored is not None and stored.role == Role.DEPOSITOR
