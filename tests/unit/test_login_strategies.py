"""Login is one flow over registered strategies: a credential type the flow has never heard of,
registered in a test container, signs in over the real flow and gets what every way in gets (the
guess throttle, the session, the second factor still asked for, the result's shape)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from gatehouse.bootstrap import Container, second_factor_answers
from gatehouse.domain.accounts import Account, MfaMethod, new_account_contexts
from gatehouse.domain.login import Claimant, FirstFactor
from gatehouse.errors import GatehouseError, InvalidCredentialsError, InvalidInputError, RateLimitedError
from gatehouse.ports import AccountRepository

EMAIL = "jane@example.com"


class BadgeLogin:
    """A test-only credential: a badge number printed on a card, throttled per badge."""

    method = "badge"

    def __init__(self, accounts: AccountRepository, badges: Mapping[str, str]) -> None:
        self._accounts, self._badges = accounts, badges

    def claimant(self, answer: Mapping[str, Any]) -> Claimant:
        return Claimant(throttle_key=f"badge:{answer['badge']}")

    def prove(self, claimant: Claimant, answer: Mapping[str, Any]) -> FirstFactor | None:
        account_id = self._badges.get(str(answer["badge"]))
        account = self._accounts.get(account_id) if account_id else None
        return FirstFactor(account, self.method) if account is not None else None

    def invalid(self) -> GatehouseError:
        return InvalidCredentialsError("This badge is not known.")


@pytest.fixture
def c() -> Container:
    c = Container.in_memory()
    c.accounts.add(Account(id="acc_jane1", email=EMAIL, created_at=c.clock.now(),
                           contexts=new_account_contexts("acc_jane1", "Jane", ["scaleway", "dedibox"])))
    # The one registration line a new credential type needs (bootstrap's `login_strategies`).
    c.login_strategies = {**c.login_strategies, "badge": BadgeLogin(c.accounts, {"B-42": "acc_jane1"})}
    return c


def test_a_strategy_registered_in_the_container_signs_in_over_the_login_flow(c: Container) -> None:
    outcome = c.login.sign_in("badge", {"badge": "B-42"}, ip="10.0.0.1", user_agent="test")
    assert outcome.result == {"status": "authenticated", "mfa_methods": [],
                              "required_actions": ["set_password", "verify_email"]}
    auth = c.sessions.authenticate(outcome.token)
    assert auth.account.id == "acc_jane1" and auth.session.auth_methods == ("badge",)


def test_a_new_strategy_still_gets_the_second_factor_asked_for(c: Container) -> None:
    jane = c.accounts.get("acc_jane1")
    c.accounts.save(jane.evolve(mfa_methods=(MfaMethod("mfa_1", "totp", "App", c.clock.now()),)))
    outcome = c.login.sign_in("badge", {"badge": "B-42"}, ip="10.0.0.1")
    assert outcome.result["status"] == "mfa_required"


def test_a_new_strategy_spends_the_login_flows_guess_throttle(c: Container) -> None:
    for _ in range(c.settings.login_failures_before_backoff + 1):
        try:
            c.login.sign_in("badge", {"badge": "B-0"}, ip="10.0.0.9")
        except InvalidCredentialsError as err:
            assert err.message == "This badge is not known."
        except RateLimitedError:
            return
    pytest.fail("wrong badges were never throttled")


def test_an_unregistered_method_is_refused_as_bad_input(c: Container) -> None:
    with pytest.raises(InvalidInputError):
        c.login.sign_in("retina", {}, ip="10.0.0.1")


def test_the_second_factors_mfa_verify_accepts_are_the_registry_s() -> None:
    c = Container.in_memory()
    assert set(c.second_factors) == set(second_factor_answers()) == {"totp", "webauthn", "recovery_code"}
    from functions.mfa_verify.routes import MfaVerifyRequest

    assert MfaVerifyRequest.model_json_schema()["properties"]["method"]["enum"] == list(second_factor_answers())
