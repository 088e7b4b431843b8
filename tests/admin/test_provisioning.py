"""A commune's new tenant is ready on its first day: offers, starter referentials, a tenant admin."""

from __future__ import annotations

from pathlib import Path

import pytest

from archipel.admin import users
from archipel.admin.login import LoginPolicy, LoginService
from archipel.admin.provisioning import OPERATION, NewTenant, TenantAdmin, complete, provision_tenant
from archipel.admin.roles import Role
from archipel.admin.service import ADMIN_TENANT
from archipel.collect.sip_builder import Document, build_sip
from archipel.core.errors import Conflict
from archipel.ingest.findings import Outcome
from archipel.ingest.service import IngestService
from archipel.logbook.service import OperationLog
from archipel.platform import Platform
from archipel.referential.defaults import STARTER_FILES
from archipel.referential.service import ReferentialService
from archipel.storage import layout


def test_a_provisioned_tenant_accepts_a_deposit_at_once(platform: Platform, tmp_path: Path) -> None:
    done = provision_tenant(platform, NewTenant("Commune C", "Métropole"), TenantAdmin("admin-c"))
    assert done.referentials == [kind for kind, _ in STARTER_FILES]
    assert all(offer.exists(layout.tenant_key(done.tenant)) for offer in platform.storage.offers)

    sip = build_sip(tmp_path / "sip.zip", [Document("Délibération", "deliberation.txt", b"vu le code")])
    service = IngestService(platform)
    result = service.run(done.tenant, service.submit(done.tenant, sip.path, "sip.zip"))
    assert result.outcome in (Outcome.OK, Outcome.WARNING) and result.units == 2


def test_a_new_admin_gets_a_generated_password_once_and_the_tenant_admin_role(platform: Platform) -> None:
    done = provision_tenant(platform, NewTenant("Commune C"), TenantAdmin("admin-c"))
    assert done.password is not None and len(done.password) >= users.MIN_PASSWORD_LENGTH
    signed_in = LoginService(platform.database, LoginPolicy()).sign_in("admin-c", done.password, "192.0.2.1")
    with platform.database.unit_of_work() as session:
        assert users.roles_on(session, signed_in.user_id, done.tenant) == {Role.TENANT_ADMIN}


def test_an_existing_login_keeps_its_password_and_gains_the_role(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "agent-mutualise", "correct horse battery staple")
    done = provision_tenant(platform, NewTenant("Commune C"), TenantAdmin("agent-mutualise"))
    assert done.password is None and done.admin == "agent-mutualise"


def test_provisioning_again_completes_what_is_missing_and_nothing_else(platform: Platform) -> None:
    done = provision_tenant(platform, NewTenant("Commune C"))
    service = ReferentialService(platform)
    versions = {kind: service.version(done.tenant, kind) for kind, _ in STARTER_FILES}
    again = complete(platform, done.tenant, TenantAdmin("admin-c"))
    assert again.referentials == [] and again.admin == "admin-c"
    assert {kind: service.version(done.tenant, kind) for kind, _ in STARTER_FILES} == versions


def test_the_creation_is_logged_in_the_administration_tenant_naming_the_admin_by_id(
    platform: Platform,
) -> None:
    done = provision_tenant(platform, NewTenant("Commune C", "Métropole"), TenantAdmin("admin-c"))
    with platform.database.unit_of_work() as session:
        (logged,) = OperationLog(session, ADMIN_TENANT).operations(type_=OPERATION)
        user = users.get_user(session, "admin-c")
    assert f"tenant {done.tenant} (Commune C) created for Métropole" in logged.message
    assert f"admin user:{user.id}" in logged.message and "admin-c" not in logged.message


def test_a_second_tenant_of_the_same_name_is_refused(platform: Platform) -> None:
    provision_tenant(platform, NewTenant("Commune C"))
    with pytest.raises(Conflict, match="already exists"):
        provision_tenant(platform, NewTenant("Commune C"))
