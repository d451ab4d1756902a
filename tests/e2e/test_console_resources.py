"""A console registers the resources it creates (PUT /consoles/resources) and forgets those it
deletes (DELETE /consoles/resources), with its Basic auth, over HTTP against the running stack:
then POST /authz/check knows them, for the owner and as the rules say for everyone else."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import CONSOLE_AUTH, Browserish, Legacy, Stack, sign_up

SERVER = {"id": "srv-8f2c", "kind": "server", "name": "web-1"}


def whoami(client: Browserish) -> tuple[str, dict[str, str]]:
    account_id = client.get("/session").json()["account_id"]
    consoles = client.get("/consoles").json()["consoles"]
    return account_id, {c["id"]: c["contexts"][0]["id"] for c in consoles}


def register(stack: Stack, body: dict[str, Any], console: str = "scaleway") -> Any:
    return stack.client().put("/consoles/resources", json=body, headers={"Authorization": CONSOLE_AUTH[console]})


def forget(stack: Stack, body: dict[str, Any], console: str = "scaleway") -> Any:
    return stack.client().delete("/consoles/resources", json=body, headers={"Authorization": CONSOLE_AUTH[console]})


def check(stack: Stack, account_id: str, context: str | None, resource: str = SERVER["id"], action: str = "reboot",
          console: str = "scaleway") -> dict:
    r = stack.client().post("/authz/check", json={"account_id": account_id, "console": console, "context": context,
                                                  "resource": resource, "action": action},
                            headers={"Authorization": CONSOLE_AUTH[console]})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_new_accounts_console_registers_the_server_it_made_and_the_check_knows_it_until_deleted(
        stack: Stack, unique_email: str) -> None:
    owner_id, contexts = whoami(sign_up(stack, unique_email))
    stranger_id, stranger_contexts = whoami(sign_up(stack, "stranger-" + unique_email))
    context = contexts["scaleway"]
    assert check(stack, owner_id, context) == {"allowed": False, "reason": "unknown_resource"}

    r = register(stack, {"account_id": owner_id, "context": context, "resource": SERVER})
    assert r.status_code == 200, r.text
    assert r.json() == {"account_id": owner_id, "context": context, "resource": SERVER, "created": True}
    for asked in (context, None):
        assert check(stack, owner_id, asked) == {"allowed": True, "reason": "owner"}
    for asked in (None, stranger_contexts["scaleway"]):
        assert check(stack, stranger_id, asked) == {"allowed": False, "reason": "unknown_resource"}

    # Registering again (a retry, a rename) updates it.
    r = register(stack, {"account_id": owner_id, "context": context, "resource": {**SERVER, "name": "web-2"}})
    assert r.status_code == 200 and r.json()["created"] is False and r.json()["resource"]["name"] == "web-2", r.text

    r = forget(stack, {"account_id": owner_id, "context": context, "resource_id": SERVER["id"]})
    assert r.status_code == 204 and r.text == "", r.text
    assert check(stack, owner_id, context) == {"allowed": False, "reason": "unknown_resource"}
    again = forget(stack, {"account_id": owner_id, "context": context, "resource_id": SERVER["id"]})
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"


def test_a_member_and_a_grantee_reach_a_registered_resource_as_the_rules_say(stack: Stack, unique_email: str) -> None:
    owner = sign_up(stack, unique_email)
    owner_id, contexts = whoami(owner)
    context = contexts["dedibox"]
    bob_email, ann_email = "bob-" + unique_email, "ann-" + unique_email
    bob_id, _ = whoami(sign_up(stack, bob_email))
    ann_id, _ = whoami(sign_up(stack, ann_email))
    for resource in (SERVER, {"id": "srv-db", "kind": "server", "name": "db"}):
        r = register(stack, {"account_id": owner_id, "context": context, "resource": resource}, "dedibox")
        assert r.status_code == 200, r.text
    assert owner.post("/organization/members", json={"email": bob_email, "role": "member"}).status_code == 201
    r = owner.post("/outsourcing", json={"grantee_email": ann_email, "resources": [SERVER["id"]],
                                         "permissions": ["reboot"]})
    assert r.status_code == 201, r.text

    ask = lambda who, resource=SERVER["id"], action="reboot": check(  # noqa: E731
        stack, who, context, resource, action, "dedibox")
    assert ask(bob_id, "srv-db", "delete") == {"allowed": True, "reason": "organization_member"}
    assert ask(ann_id) == {"allowed": True, "reason": "outsourcing"}
    assert ask(ann_id, action="delete") == {"allowed": False, "reason": "no_access"}
    assert ask(ann_id, "srv-db") == {"allowed": False, "reason": "no_access"}
    assert forget(stack, {"account_id": owner_id, "context": context, "resource_id": SERVER["id"]},
                  "dedibox").status_code == 204
    assert ask(ann_id) == {"allowed": False, "reason": "unknown_resource"}
    assert ask(bob_id) == {"allowed": False, "reason": "unknown_resource"}


def test_a_console_cannot_register_into_the_other_consoles_context(stack: Stack, unique_email: str) -> None:
    owner_id, contexts = whoami(sign_up(stack, unique_email))
    dedibox = contexts["dedibox"]
    r = register(stack, {"account_id": owner_id, "context": dedibox, "resource": SERVER}, "scaleway")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert check(stack, owner_id, dedibox, console="dedibox")["reason"] == "unknown_resource"
    assert register(stack, {"account_id": owner_id, "context": dedibox, "resource": SERVER},
                    "dedibox").status_code == 200
    r = forget(stack, {"account_id": owner_id, "context": dedibox, "resource_id": SERVER["id"]}, "scaleway")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert check(stack, owner_id, dedibox, console="dedibox") == {"allowed": True, "reason": "owner"}


def test_unknown_accounts_contexts_bad_input_and_no_credentials_are_refused_in_the_contracts_shape(
        stack: Stack, unique_email: str) -> None:
    owner_id, contexts = whoami(sign_up(stack, unique_email))
    context = contexts["scaleway"]
    for body in ({"account_id": "acc_nobody", "context": context, "resource": SERVER},
                 {"account_id": owner_id, "context": "scaleway-nothere", "resource": SERVER}):
        r = register(stack, body)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    for body, field in (({"account_id": owner_id, "context": context}, "resource"),
                        ({"account_id": owner_id, "context": context, "resource": {"id": "x"}}, "resource.kind"),
                        ({"account_id": owner_id, "context": context, "resource": {**SERVER, "id": " "}},
                         "resource.id"),
                        ({"account_id": owner_id, "context": context, "resource": {**SERVER, "id": "x" * 201}},
                         "resource.id"),
                        ({"account_id": owner_id, "context": context, "resource": {**SERVER, "size": 1}},
                         "resource.size"),
                        ({"account_id": owner_id, "context": context, "resource": "srv-1"}, "resource")):
        r = register(stack, body)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and field in error["details"]["fields"], (field, error)
    r = forget(stack, {"account_id": owner_id, "context": context})
    assert r.status_code == 400 and "resource_id" in r.json()["error"]["details"]["fields"], r.text
    r = stack.client().put("/consoles/resources", json={"account_id": owner_id, "context": context,
                                                        "resource": SERVER})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_console_credentials", r.text
    r = stack.client().put("/consoles/resources", data=b"{not json", headers={
        "Authorization": CONSOLE_AUTH["scaleway"], "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_body", r.text


def test_a_unified_accounts_legacy_server_stays_known_and_its_console_can_forget_it(
        stack: Stack, legacy: Legacy) -> None:
    p = legacy.prefix
    owner_id = legacy.login(stack, 3).get("/session").json()["account_id"]  # Dedibox only: one context
    context, server = f"dedibox-dbx-{p}-3", f"srv-{p}-3"
    assert check(stack, owner_id, context, server, console="dedibox") == {"allowed": True, "reason": "owner"}
    r = register(stack, {"account_id": owner_id, "context": context,
                         "resource": {"id": server, "kind": "server", "name": "renamed"}}, "dedibox")
    assert r.status_code == 200 and r.json()["created"] is False, r.text  # the imported one, updated
    assert forget(stack, {"account_id": owner_id, "context": context, "resource_id": server},
                  "dedibox").status_code == 204
    assert check(stack, owner_id, context, server, console="dedibox")["reason"] == "unknown_resource"


def test_the_openapi_document_has_both_routes_with_their_refusals(stack: Stack) -> None:
    doc = stack.client().get("/openapi.json").json()
    routes = doc["paths"]["/consoles/resources"]
    assert {"400", "403", "404", "409"} <= set(routes["put"]["responses"]) and "200" in routes["put"]["responses"]
    assert {"204", "403", "404"} <= set(routes["delete"]["responses"])
    assert routes["put"]["security"] == routes["delete"]["security"] == [{"console": []}]
    schemas = doc["components"]["schemas"]
    assert set(schemas["ConsoleResourcePut"]["required"]) == {"account_id", "context", "resource"}
    assert set(schemas["ConsoleResource"]["required"]) == {"id", "kind"}
