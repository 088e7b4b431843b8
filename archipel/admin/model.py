"""Organisations own tenants; a tenant is the sealed space of one archives service.

People sign in as users and hold roles per tenant; applications hold API keys, each with
one role on one tenant (`archipel.admin.roles`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from archipel.core.errors import Forbidden
from archipel.db.base import Base, UtcDateTime


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class Tenant(Base):
    """Tenant numbers are chosen by people (Vitam's habit: 0 is the administration tenant)."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime)

    def require_writable(self) -> None:
        """Forbidden once deactivated: a read-only tenant's holdings no longer change (`roles.READ_ONLY`)."""
        if not self.active:
            raise Forbidden(f"tenant {self.id} is deactivated (read-only): no new archives, no changes")


class ApiKey(Base):
    """An application's credential on one tenant; only a hash of its secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    access_contract: Mapped[str | None] = mapped_column(String(200))
    """The access contract calls with this key run under when they name none (`X-Access-Contract-Id`)."""
    role: Mapped[str] = mapped_column(String(40), default="tenant-admin", server_default="tenant-admin")
    """What the application may do on its tenant; keys made before roles existed keep every right."""


class User(Base):
    """A person who signs in; only an argon2 hash of the password is kept.

    `id` is what logbooks record (`user:<id>`): it stays when the person is anonymised, so
    secured logbooks still verify while the identity is gone from the user tables.
    """

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    """None: the person cannot sign in with a password (an identity provider vouches for them)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    anonymised: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UtcDateTime)


class UserRole(Base):
    """One role of a user on one tenant; a user may hold several, on several tenants."""

    __tablename__ = "user_roles"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class LoginAttempt(Base):
    """A sign-in attempt, kept a short while: it rate-limits an address and locks a login.

    Kept in the database rather than in memory so every server process sees the same counts.
    Unknown logins are counted like known ones, so a lockout tells nothing of who exists.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
