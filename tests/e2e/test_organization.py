"""Organization members, outsourcing and the consoles' access check over HTTP against the
running stack, bad input refused in the contract's shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import CONSOLE_AUTH, Browserish, Stack, sign_up


def whoami(client: Browserish) -> tuple[str, dict[str, str]]:
    account_id = client.get("/session").json()["account_id"]
    consoles = client.get("/consoles").json()["consoles"]
    return account_id, {c["id"]: c["contexts"][0]["id"] for c in consoles}


def check(stack: Stack, account_id: str, context: str, resource: str = "srv-1", action: str = "reboot",
          console: str = "scaleway") -> dict:
    r = stack.client().post("/authz/check", json={"account_id": account_id, "console": console, "context": context,
                                                  "resource": resource, "action": action},
                            headers={"Authorization": CONSOLE_AUTH[console]})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_member_reaches_the_whole_account_in_both_consoles_until_removed(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, owner_email = signed_up
    _, contexts = whoami(owner)
    bob_email = "bob-" + owner_email
    bob = sign_up(stack, bob_email)
    bob_id, _ = whoami(bob)
    assert check(stack, bob_id, contexts["scaleway"]) == {"allowed": False, "reason": "no_access"}

    r = owner.post("/organization/members", json={"email": bob_email.upper(), "role": "member"})
    assert r.status_code == 201, r.text
    member_id = r.json()["id"]
    for console in ("scaleway", "dedibox"):
        assert check(stack, bob_id, contexts[console], "anything", "delete", console) == {
            "allowed": True, "reason": "organization_member"}
    assert [m["email"] for m in owner.get("/organization/members").json()["members"]] == [bob_email]
    # Bob is offered the organization's contexts and can open them; the console then asks /authz/check.
    dedibox = next(c for c in bob.get("/consoles").json()["consoles"] if c["id"] == "dedibox")
    shared = [x for x in dedibox["contexts"] if x.get("owner") == owner_email]
    assert [(x["id"], x["access"]) for x in shared] == [(contexts["dedibox"], "organization_member")]
    opened = bob.post("/consoles/select", json={"console": "dedibox", "context": contexts["dedibox"]})
    assert opened.status_code == 200 and opened.json()["context"] == contexts["dedibox"], opened.text
    assert "added you to their organization" in stack.last_message(bob_email)["text"]
    assert bob.get("/organization/members").json() == {"members": []}  # bob's own organization

    again = owner.post("/organization/members", json={"email": bob_email, "role": "admin"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert bob.delete(f"/organization/members/{member_id}").status_code == 404
    assert owner.delete(f"/organization/members/{member_id}").status_code == 204
    assert check(stack, bob_id, contexts["scaleway"])["allowed"] is False


def test_outsourcing_covers_chosen_resources_and_actions_until_removed(
        stack: Stack, signed_up: tuple[Browserish, str]) -> None:
    owner, owner_email = signed_up
    _, contexts = whoami(owner)
    ann_email = "ann-" + owner_email
    ann_id, _ = whoami(sign_up(stack, ann_email))
    until = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    r = owner.post("/outsourcing", json={"grantee_email": ann_email, "resources": ["srv-1"],
                                         "permissions": ["reboot"], "expires_at": until})
    assert r.status_code == 201, r.text
    grant_id = r.json()["id"]
    assert check(stack, ann_id, contexts["scaleway"], "srv-1", "reboot") == {"allowed": True, "reason": "outsourcing"}
    assert check(stack, ann_id, contexts["scaleway"], "srv-2", "reboot")["allowed"] is False
    assert check(stack, ann_id, contexts["scaleway"], "srv-1", "delete")["allowed"] is False
    [listed] = owner.get("/outsourcing").json()["outsourcing"]
    assert listed["id"] == grant_id and listed["expires_at"].endswith("Z")
    assert owner.delete(f"/outsourcing/{grant_id}").status_code == 204
    assert check(stack, ann_id, contexts["scaleway"], "srv-1", "reboot")["allowed"] is False


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
