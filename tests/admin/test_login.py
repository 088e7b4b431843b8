"""Signing in: the right password opens, failures lock the login, an address is throttled.

Time is given to `sign_in`, never waited for: the attempts are counted.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from archipel.admin import users
from archipel.admin.login import LoginLocked, LoginPolicy, LoginService, LoginThrottled
from archipel.core.clock import utc_now
from archipel.core.errors import Unauthenticated
from archipel.platform import Platform

PASSWORD = "correct horse battery staple"
ADDRESS = "192.0.2.10"
POLICY = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15), attempts_per_minute=10)


@pytest.fixture
def login(platform: Platform) -> LoginService:
    with platform.database.unit_of_work() as session:
        users.create_user(session, "archiviste", PASSWORD)
    return LoginService(platform.database, POLICY)


def fail(login: LoginService, times: int, who: str = "archiviste", **when: object) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated) as refused:
            login.sign_in(who, "wrong password", ADDRESS, **when)  # type: ignore[arg-type]
        assert type(refused.value) is Unauthenticated


def test_the_right_password_signs_in(login: LoginService) -> None:
    assert login.sign_in("archiviste", PASSWORD, ADDRESS).login == "archiviste"


def test_a_wrong_password_and_an_unknown_login_are_refused_alike(login: LoginService) -> None:
    answers = []
    for who, password in (("archiviste", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(Unauthenticated) as refused:
            login.sign_in(who, password, ADDRESS)
        answers.append((refused.value.code, refused.value.message))
    assert answers[0] == answers[1]


def test_a_login_is_locked_after_repeated_failures_even_with_the_right_password(login: LoginService) -> None:
    fail(login, POLICY.max_failures)
    with pytest.raises(LoginLocked):
        login.sign_in("archiviste", PASSWORD, ADDRESS)


def test_the_lock_lifts_when_the_failures_age_out(login: LoginService) -> None:
    start = utc_now()
    fail(login, POLICY.max_failures, now=start)
    with pytest.raises(LoginLocked) as locked:
        login.sign_in("archiviste", PASSWORD, ADDRESS, now=start + POLICY.lockout - timedelta(seconds=1))
    assert locked.value.retry_after == 1  # the caller is told when to try again
    later = start + POLICY.lockout + timedelta(seconds=1)
    assert login.sign_in("archiviste", PASSWORD, ADDRESS, now=later).login == "archiviste"


def test_a_success_starts_the_failure_count_again(login: LoginService) -> None:
    fail(login, POLICY.max_failures - 1)
    login.sign_in("archiviste", PASSWORD, ADDRESS)
    fail(login, POLICY.max_failures - 1)
    assert login.sign_in("archiviste", PASSWORD, ADDRESS).login == "archiviste"


def test_unknown_logins_lock_like_known_ones(login: LoginService) -> None:
    fail(login, POLICY.max_failures, who="nobody")
    with pytest.raises(LoginLocked):
        login.sign_in("nobody", PASSWORD, ADDRESS)


def test_an_address_is_throttled_after_its_attempts_of_the_minute(login: LoginService) -> None:
    start = utc_now()
    for number in range(POLICY.attempts_per_minute):
        fail(login, 1, who=f"guess-{number}", now=start)
    with pytest.raises(LoginThrottled) as throttled:
        login.sign_in("archiviste", PASSWORD, ADDRESS, now=start)
    assert throttled.value.retry_after == 60
    assert login.sign_in("archiviste", PASSWORD, "192.0.2.11", now=start).login == "archiviste"
    assert login.sign_in("archiviste", PASSWORD, ADDRESS, now=start + timedelta(minutes=1)).login


def test_a_deactivated_user_cannot_sign_in(platform: Platform, login: LoginService) -> None:
    with platform.database.unit_of_work() as session:
        users.get_user(session, "archiviste").active = False
    with pytest.raises(Unauthenticated):
        login.sign_in("archiviste", PASSWORD, ADDRESS)
