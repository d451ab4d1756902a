"""Organization members, outsourcing and the consoles' access check over HTTP against the
running stack, bad input refused in the contract's shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import CONSOLE_AUTH, Browserish, Legacy, Stack, sign_up


def whoami(client: Browserish) -> tuple[str, dict[str, str]]:
    account_id = client.get("/session").json()["account_id"]
    consoles = client.get("/consoles").json()["consoles"]
    return account_id, {c["id"]: c["contexts"][0]["id"] for c in consoles}


def check(stack: Stack, account_id: str, context: str | None, resource: str = "srv-1", action: str = "reboot",
          console: str = "dedibox") -> dict:
    r = stack.client().post("/authz/check", json={"account_id": account_id, "console": console, "context": context,
                                                  "resource": resource, "action": action},
                            headers={"Authorization": CONSOLE_AUTH[console]})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_check_knows_only_the_resources_of_the_contexts_the_account_reaches(
        stack: Stack, legacy: Legacy, signed_up: tuple[Browserish, str]) -> None:
    p = legacy.prefix
    owner_id, _ = whoami(legacy.login(stack, 5))
    a = f"dedibox-dbx-{p}-5a"
    assert check(stack, owner_id, None, f"srv-{p}-5b") == {"allowed": True, "reason": "owner"}
    assert check(stack, owner_id, a, f"srv-{p}-5a") == {"allowed": True, "reason": "owner"}
    # A resource of the account's other context, of another account, of nobody.
    for context, resource in ((a, f"srv-{p}-5b"), (None, f"srv-{p}-0"), (a, "srv-made-up")):
        assert check(stack, owner_id, context, resource) == {"allowed": False, "reason": "unknown_resource"}
    # A stranger asking about the account's server (it was answered `owner` for any resource).
    stranger_id, contexts = whoami(signed_up[0])
    for context in (None, contexts["dedibox"]):
        assert check(stack, stranger_id, context, f"srv-{p}-5a") == {"allowed": False, "reason": "unknown_resource"}
    assert check(stack, stranger_id, a, f"srv-{p}-5a") == {"allowed": False, "reason": "no_access"}


def test_a_member_reaches_every_resource_of_the_account_until_removed(
        stack: Stack, legacy: Legacy, unique_email: str) -> None:
    p = legacy.prefix
    owner = legacy.login(stack, 5)
    owner_email = legacy.email(5)
    a, b = f"dedibox-dbx-{p}-5a", f"dedibox-dbx-{p}-5b"
    bob_email = "bob-" + unique_email
    bob = sign_up(stack, bob_email)
    bob_id, _ = whoami(bob)
    assert check(stack, bob_id, a, f"srv-{p}-5a") == {"allowed": False, "reason": "no_access"}

    r = owner.post("/organization/members", json={"email": bob_email.upper(), "role": "member"})
    assert r.status_code == 201, r.text
    member_id = r.json()["id"]
    for context, resource in ((a, f"srv-{p}-5a"), (b, f"srv-{p}-5b"), (None, f"srv-{p}-5b")):
        assert check(stack, bob_id, context, resource, "delete") == {"allowed": True, "reason": "organization_member"}
    assert check(stack, bob_id, b, f"srv-{p}-5a") == {"allowed": False, "reason": "unknown_resource"}
    assert [m["email"] for m in owner.get("/organization/members").json()["members"]] == [bob_email]
    # Bob is offered the organization's contexts and can open them; the console then asks /authz/check.
    dedibox = next(c for c in bob.get("/consoles").json()["consoles"] if c["id"] == "dedibox")
    shared = [x for x in dedibox["contexts"] if x.get("owner") == owner_email]
    assert [(x["id"], x["access"]) for x in shared] == [(a, "organization_member"), (b, "organization_member")]
    opened = bob.post("/consoles/select", json={"console": "dedibox", "context": b})
    assert opened.status_code == 200 and opened.json()["context"] == b, opened.text
    assert stack.last_message(bob_email)["text"].startswith(f"{owner_email} vous a ajouté")  # the owner's locale
    assert bob.get("/organization/members").json() == {"members": []}  # bob's own organization

    again = owner.post("/organization/members", json={"email": bob_email, "role": "admin"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert bob.delete(f"/organization/members/{member_id}").status_code == 404
    assert owner.delete(f"/organization/members/{member_id}").status_code == 204
    assert check(stack, bob_id, a, f"srv-{p}-5a")["allowed"] is False


def test_outsourcing_covers_chosen_resources_and_actions_until_removed(
        stack: Stack, legacy: Legacy, unique_email: str) -> None:
    p = legacy.prefix
    owner, context, server = legacy.login(stack, 0), f"dedibox-dbx-{p}-0", f"srv-{p}-0"
    ann_email = "ann-" + unique_email
    ann_id, _ = whoami(sign_up(stack, ann_email))
    until = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    r = owner.post("/outsourcing", json={"grantee_email": ann_email, "resources": [server, "srv-not-theirs"],
                                         "permissions": ["reboot"], "expires_at": until})
    assert r.status_code == 201, r.text
    grant_id = r.json()["id"]
    assert check(stack, ann_id, context, server, "reboot") == {"allowed": True, "reason": "outsourcing"}
    assert check(stack, ann_id, None, server, "reboot") == {"allowed": True, "reason": "outsourcing"}
    assert check(stack, ann_id, context, server, "delete") == {"allowed": False, "reason": "no_access"}
    assert check(stack, ann_id, context, "srv-not-theirs", "reboot") == {"allowed": False, "reason": "unknown_resource"}
    [listed] = owner.get("/outsourcing").json()["outsourcing"]
    assert listed["id"] == grant_id and listed["expires_at"].endswith("Z")
    assert owner.delete(f"/outsourcing/{grant_id}").status_code == 204
    assert check(stack, ann_id, context, server, "reboot") == {"allowed": False, "reason": "no_access"}


def test_an_account_with_actions_pending_cannot_share_itself_and_its_legacy_key_still_verifies(
        stack: Stack, legacy: Legacy) -> None:
    from tests.bench.unification import API_SECRET

    p = legacy.prefix
    client = legacy.login(stack, 3)  # a lone Dedibox account: its SMS factor retired, its address unverified
    pending = ["enroll_mfa"]  # verify_email never blocks a unified account
    assert client.get("/session").json()["required_actions"] == pending
    for path, body in (("/organization/members", {"email": "bob@example.com", "role": "admin"}),
                       ("/outsourcing", {"grantee_email": "bob@example.com", "resources": [f"srv-{p}-3"],
                                         "permissions": ["read"]}),
                       ("/api-keys", {"name": "new"})):
        r = client.post(path, json=body)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["code"] == "action_required" and r.json()["error"]["details"] == {
            "required_actions": pending}, r.text
    assert client.get("/organization/members").json() == {"members": []}
    assert client.get("/outsourcing").json() == {"outsourcing": []}
    assert [k["key_id"] for k in client.get("/api-keys").json()["api_keys"]] == [f"key-{p}-3"]
    r = stack.client().post("/api-keys/verify", json={"key_id": f"key-{p}-3", "secret": API_SECRET},
                            headers={"Authorization": CONSOLE_AUTH["dedibox"]})
    assert r.status_code == 200 and r.json()["valid"] is True and r.json()["context"] == f"dedibox-dbx-{p}-3", r.text


def test_a_notice_to_a_third_party_carries_the_owners_address_and_no_link_the_owner_wrote(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, owner_email = signed_up
    link = '<a href="https://evil.example/login">Support</a> https://evil.example/login'
    assert owner.patch("/account", json={"name": link, "organization": link}).status_code == 200
    bob_email, ann_email = "bob-" + owner_email, "ann-" + owner_email
    assert owner.post("/organization/members", json={"email": bob_email, "role": "admin"}).status_code == 201
    r = owner.post("/outsourcing", json={"grantee_email": ann_email, "resources": ["https://evil.example/r"],
                                         "permissions": ["https://evil.example/p"]})
    assert r.status_code == 201, r.text
    for to in (bob_email, ann_email):
        notice = stack.last_message(to)
        assert notice["text"].startswith(owner_email + " "), notice["text"]
        assert "evil.example" not in notice["text"] + notice["html"] and "Support" not in notice["html"]
        assert owner_email in notice["html"] and "<a " not in notice["html"]


def test_twenty_invitations_and_grants_a_day_then_429_with_retry_after(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, owner_email = signed_up
    for n in range(20):
        r = (owner.post("/organization/members", json={"email": f"m{n}-{owner_email}", "role": "member"}) if n % 2
             else owner.post("/outsourcing", json={"grantee_email": f"g{n}-{owner_email}", "resources": ["srv-1"],
                                                   "permissions": ["read"]}))
        assert r.status_code == 201, (n, r.text)
    for path, body in (("/organization/members", {"email": f"late-{owner_email}", "role": "member"}),
                       ("/outsourcing", {"grantee_email": f"late-{owner_email}", "resources": ["srv-1"],
                                         "permissions": ["read"]})):
        r = owner.post(path, json=body)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", r.text
        assert 0 < int(r.headers["Retry-After"]) <= 86400
    assert stack.outbox(f"late-{owner_email}") == []
    assert len(owner.get("/organization/members").json()["members"]) == 10
    assert len(owner.get("/outsourcing").json()["outsourcing"]) == 10


def test_bad_requests_get_the_contracts_errors(stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, owner_email = signed_up
    for path, body, field in [
        ("/organization/members", {"email": "not-an-email", "role": "member"}, "email"),
        ("/organization/members", {"email": "x@example.com", "role": "owner"}, "role"),
        ("/organization/members", {"email": owner_email, "role": "admin"}, "email"),
        ("/outsourcing", {"grantee_email": "x@example.com", "resources": [], "permissions": ["read"]}, "resources"),
        ("/outsourcing", {"grantee_email": "x@example.com", "resources": ["srv-1"], "permissions": ["read"],
                          "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ("/outsourcing", {"grantee_email": "x@example.com", "resources": ["srv-1"], "permissions": ["read"],
                          "expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ]:
        r = owner.post(path, json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", (body, r.text)
        assert field in r.json()["error"]["details"]["fields"], (body, r.text)
    for path in ("/organization/members/" + "x" * 3000, "/outsourcing/nope"):
        r = owner.delete(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert stack.client().get("/organization/members").status_code == 401
    r = stack.client().post("/authz/check", json={"account_id": "a", "console": "scaleway", "resource": "r",
                                                  "action": "read"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_console_credentials"
    r = stack.client().post("/authz/check", json={"account_id": "a", "console": "scaleway"},
                            headers={"Authorization": CONSOLE_AUTH["scaleway"]})
    assert r.status_code == 400 and {"resource", "action"} <= set(r.json()["error"]["details"]["fields"])


def test_the_openapi_document_names_the_new_refusals_of_handing_over_access(stack: Stack) -> None:
    doc = stack.client().get("/openapi.json").json()
    for path in ("/organization/members", "/outsourcing"):
        assert {"400", "403", "409", "429"} <= set(doc["paths"][path]["post"]["responses"]), path
    assert "action_required" in doc["paths"]["/api-keys"]["post"]["responses"]["403"]["description"]
    assert "invalid_email" in str(doc["components"])
