"""Signing in with a password: rate-limited per address, locked per login after failures.

Every attempt is recorded (login, client address, time, success) for a short while. Before
a password is even checked:
- an address that made `attempts_per_minute` attempts in the last minute is turned away
  (guessing many logins from one place);
- a login with `max_failures` failures since its last success, within the lockout period,
  is locked (guessing one login's password); the lock lifts as those failures age out.
Unknown logins are counted and locked like known ones, and checked against a dummy hash,
so neither the answer nor its timing tells who has an account. Nothing logged names a
password.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from archipel.admin.model import LoginAttempt, User
from archipel.admin.users import HASHER, MAX_LOGIN_LENGTH
from archipel.core.clock import utc_now
from archipel.core.errors import TooManyRequests, Unauthenticated
from archipel.core.settings import Settings
from archipel.db.database import Database

log = logging.getLogger(__name__)

_DUMMY_HASH = HASHER.hash("not a password of anyone: equalises the time of unknown logins")
RATE_WINDOW = timedelta(minutes=1)


class LoginLocked(TooManyRequests):
    """Too many failures for this login lately: even the right password is refused for now.

    A 429, not a 401: the client is told to wait (`Retry-After`), not that the password is
    wrong, and an unknown login is locked the same way, so it reveals no account."""

    code = "LOGIN_LOCKED"


class LoginThrottled(TooManyRequests):
    """Too many attempts from this address lately."""

    code = "LOGIN_THROTTLED"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    attempts_per_minute: int = 30

    @classmethod
    def of(cls, settings: Settings) -> LoginPolicy:
        return cls(
            settings.login_max_failures,
            timedelta(minutes=settings.login_lockout_minutes),
            settings.login_attempts_per_minute,
        )


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    login: str


class LoginService:
    """Checks passwords and keeps the attempt counts, in their own transactions."""

    def __init__(self, database: Database, policy: LoginPolicy) -> None:
        self.database = database
        self.policy = policy

    def sign_in(self, login: str, password: str, address: str, now: datetime | None = None) -> SignedIn:
        """The user if the password is theirs; Unauthenticated otherwise, or TooManyRequests
        (locked, throttled) without checking it.

        The attempt is committed before a refusal is raised, so refusals count.
        """
        now = now or utc_now()
        login, address = login.strip()[:MAX_LOGIN_LENGTH], address[:64]
        with self.database.unit_of_work() as session:
            self._forget_old_attempts(session, now)
            refusal: TooManyRequests | Unauthenticated | None = self._refusal_before_checking(
                session, login, address, now
            )
            if refusal is None:
                signed_in = _check_password(session, login, password)
                session.add(
                    LoginAttempt(login=login, address=address, at=now, succeeded=signed_in is not None)
                )
                if signed_in is None:
                    refusal = Unauthenticated("unknown login or wrong password")
        if refusal is not None:
            log.info("sign-in refused (%s)", refusal.code)
            raise refusal
        assert signed_in is not None
        return signed_in

    def _forget_old_attempts(self, session: Session, now: datetime) -> None:
        keep = max(self.policy.lockout, RATE_WINDOW)
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - keep))

    def _refusal_before_checking(
        self, session: Session, login: str, address: str, now: datetime
    ) -> TooManyRequests | None:
        from_address = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.address == address, LoginAttempt.at > now - RATE_WINDOW)
        )
        if (from_address or 0) >= self.policy.attempts_per_minute:
            return LoginThrottled(
                "too many sign-in attempts from this address: wait a minute", _seconds(RATE_WINDOW)
            )
        last_success = session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.login == login, LoginAttempt.succeeded.is_(True)
            )
        )
        since = now - self.policy.lockout
        if last_success is not None and last_success > since:
            since = last_success
        failures = list(
            session.scalars(
                select(LoginAttempt.at)
                .where(LoginAttempt.login == login, LoginAttempt.succeeded.is_(False))
                .where(LoginAttempt.at > since)
                .order_by(LoginAttempt.at.desc())
                .limit(self.policy.max_failures)
            )
        )
        if len(failures) >= self.policy.max_failures:
            # the lock lifts when the oldest of the last `max_failures` failures ages out
            lifted = failures[-1] + self.policy.lockout
            return LoginLocked(
                "too many failed sign-ins for this login: it is locked for a while", _seconds(lifted - now)
            )
        return None


def _seconds(delay: timedelta) -> int:
    """A `Retry-After` value: whole seconds, rounded up, at least one."""
    return max(1, math.ceil(delay.total_seconds()))


def _check_password(session: Session, login: str, password: str) -> SignedIn | None:
    """Who signs in, or None; the same argon2 work whether the login exists or not."""
    user = session.scalars(select(User).where(User.login == login)).one_or_none()
    if user is not None and user.active and user.password_hash:
        known, stored = user, user.password_hash
    else:
        known, stored = None, _DUMMY_HASH
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if known is None:
        return None
    if HASHER.check_needs_rehash(stored):
        known.password_hash = HASHER.hash(password)
    return SignedIn(known.id, known.login)
