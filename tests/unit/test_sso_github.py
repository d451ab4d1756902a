"""The GitHub strategy against a scripted transport: the token endpoint's quirks, the numeric id as
the key, and the one email GitHub vouches for (primary and verified)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from gatehouse.errors import DependencyUnavailableError, SsoRejectedError
from gatehouse.settings import SsoProvider
from gatehouse.strategies.github import GithubStrategy
from gatehouse.strategies.oidc import code_challenge

from tests.unit.sso_support import NOW, FakeHttp, form_response, json_response

GH = SsoProvider("github", "Iv1.abc", "https://gh.example/login/oauth/authorize",
                 "https://gh.example/login/oauth/access_token", api_url="https://api.gh.example",
                 scope="read:user user:email", client_secret="gh-secret")
USER = {"login": "octocat", "id": 583231, "name": "The Octocat", "email": None}


def http(token: Any = None, user: Any = None, emails: Any = None, emails_status: int = 200) -> FakeHttp:
    return FakeHttp({
        ("POST", GH.token_endpoint): token or json_response(
            {"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "token_type": "bearer",
             "scope": "read:user,user:email"}),
        ("GET", "https://api.gh.example/user"): json_response(user or USER),
        ("GET", "https://api.gh.example/user/emails"): json_response(
            emails if emails is not None else [
                {"email": "octocat@github.example", "primary": True, "verified": True, "visibility": "private"},
                {"email": "other@example.com", "primary": False, "verified": True, "visibility": None}],
            emails_status),
    })


def sign_in(transport: FakeHttp):
    return GithubStrategy(GH, transport).identity(code="c0de", verifier="ver", redirect_uri="https://r/cb",
                                                  nonce="", now=NOW)


def test_the_identity_is_the_numeric_id_with_the_primary_verified_email():
    transport = http()
    identity = sign_in(transport)
    assert (identity.provider, identity.key, identity.email) == ("github", "583231", "octocat@github.example")
    token_call = transport.calls[0]
    assert token_call.headers["Accept"] == "application/json"
    assert token_call.form == {"client_id": "Iv1.abc", "client_secret": "gh-secret", "code": "c0de",
                               "redirect_uri": "https://r/cb", "code_verifier": "ver"}
    assert transport.calls[1].headers["Authorization"] == "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a"


def test_a_primary_address_that_is_not_verified_is_not_trusted_nor_is_a_verified_secondary():
    identity = sign_in(http(emails=[
        {"email": "octocat@github.example", "primary": True, "verified": False},
        {"email": "other@example.com", "primary": False, "verified": True}]))
    assert identity.email is None and identity.unverified_email == "octocat@github.example"


@pytest.mark.parametrize("entry", [
    {"email": "null", "primary": True, "verified": True},
    {"email": None, "primary": True, "verified": True},
    {"email": "x@example.com", "primary": "true", "verified": True},
    {"email": "x@example.com", "primary": True, "verified": 1},
])
def test_nothing_but_a_real_address_with_primary_and_verified_true_is_trusted(entry):
    assert sign_in(http(emails=[entry])).email is None


def test_without_the_email_scope_the_identity_still_signs_in_but_has_no_email():
    identity = sign_in(http(emails={"message": "Not Found"}, emails_status=404))
    assert identity.key == "583231" and identity.email is None


def test_a_form_encoded_token_answer_is_understood():
    identity = sign_in(http(token=form_response({"access_token": "gho_form", "scope": "user:email",
                                                 "token_type": "bearer"})))
    assert identity.key == "583231"


@pytest.mark.parametrize("answer", [
    json_response({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired.",
                   "error_uri": "https://docs.github.example/"}),
    form_response({"error": "bad_verification_code", "error_description": "The code passed is incorrect"}),
])
def test_an_error_reported_with_http_200_is_a_rejection(answer):
    assert answer.status == 200
    with pytest.raises(SsoRejectedError) as err:
        sign_in(http(token=answer))
    assert err.value.reason == "token_bad_verification_code"


def test_a_login_name_is_never_the_key():
    with pytest.raises(SsoRejectedError) as err:
        sign_in(http(user={"login": "octocat", "id": "583231"}))
    assert err.value.reason == "missing_user_id"
    with pytest.raises(SsoRejectedError):
        sign_in(http(user={"login": "octocat", "id": True}))


def test_github_being_down_is_unavailable_not_a_rejection():
    with pytest.raises(DependencyUnavailableError):
        sign_in(http(token=json_response({"message": "oops"}, 502)))


def test_the_authorization_url_sends_pkce_and_the_email_scope():
    url = GithubStrategy(GH, FakeHttp()).authorization_url(redirect_uri="https://r/cb", state="st", nonce="n",
                                                           verifier="v" * 43)
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q["code_challenge"] == code_challenge("v" * 43) and q["code_challenge_method"] == "S256"
    assert q["state"] == "st" and "user:email" in q["scope"].split()
