"""Least privilege, checked against the code: the table keys and KMS contexts each flow may use.

Which partition keys a flow's Lambda sends is found in two steps, each of which fails rather than
guesses when the code moves on:

1. Adapter -> keys, by recording: the DynamoDB conformance suite runs with `tests.infra.key_recorder`,
   which reads every request's partition keys (the index's on an index Query) as IAM's
   `dynamodb:LeadingKeys` does, per adapter method. Every public method of every `Dynamo...` adapter
   must have been seen, so a new method without a conformance test fails here.
2. Flow -> adapters, from the code: the container parts each flow's modules reach with
   `container().<part>` (and the routing layer's own: `sessions` for session routes), closed over
   what each part of `gatehouse.bootstrap.Container` is built from.
"""

from __future__ import annotations

import ast
import fnmatch
import inspect
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra import permissions
from infra.discover import Discovery, discover, flow_names

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "layers" / "shared" / "python"
GATEHOUSE = LAYER / "gatehouse"
# The local stage's record of what was "sent" (the outbox the mailers write to): never built elsewhere.
LOCAL_ONLY_PARTS = {"outbox"}
# What the routing layer takes from the container itself, and for which routes.
ROUTING_PARTS = {"settings", "sessions", "console_auth"}
SESSION_AUTH = {"session", "any"}
# The modules allowed to call `container()`: the flows' Lambdas (functions/), the routing layer, the
# operator's commands and the local stack. A flow's own code calling it would escape this analysis.
CONTAINER_CALLERS = {"bootstrap.py", "api/routing.py"}
CONTAINER_CALLER_DIRS = ("commands/", "local/")


# --- 1. adapter -> partition keys, recorded --------------------------------------------------------

@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    out = tmp_path_factory.mktemp("keys") / "keys.json"
    env = {**os.environ, "GATEHOUSE_KEY_RECORD": str(out)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "tests.infra.key_recorder",
                           "-k", "dynamodb", "tests/conformance"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    entries = json.loads(out.read_text())
    from gatehouse.adapters import dynamodb

    adapters = {name: cls for name, cls in vars(dynamodb).items()
                if isinstance(cls, type) and name.startswith("Dynamo")
                and cls.__module__.startswith(dynamodb.__name__ + ".")}
    outside = sorted(e["method"] for e in entries if e["adapter"] == "<outside an adapter>")
    assert outside == [], "layer code that calls DynamoDB outside a Dynamo... adapter: move it into one"
    seen = {(e["adapter"], e["method"]) for e in entries}
    unseen = sorted(f"{name}.{method}" for name, cls in adapters.items() for method, member in vars(cls).items()
                    if not method.startswith("_") and inspect.isfunction(member) and (name, method) not in seen)
    assert unseen == [], "adapter methods no DynamoDB conformance test ran: their keys are unknown"
    keys: dict[str, set[str]] = {name: set() for name in adapters}
    for entry in entries:
        keys[entry["adapter"]].update(key_pattern(k) for k in entry["keys"])
    return keys


def key_pattern(value: str) -> str:
    """The LeadingKeys pattern of a partition key: `ACCOUNT#acc_1` -> `ACCOUNT#*`; `WAVES` stays."""
    if match := re.fullmatch(r"([A-Z][A-Z0-9_]*#).*", value, flags=re.DOTALL):
        return match.group(1) + "*"
    assert re.fullmatch(r"[A-Z][A-Z0-9_]*", value), f"a partition key without a KIND# prefix: {value!r}"
    return value


def test_key_patterns_are_read_from_partition_keys() -> None:
    from tests.infra.key_recorder import partition_keys

    assert key_pattern("CLAIM#email#a@b.c") == "CLAIM#*" and key_pattern("WAVES") == "WAVES"
    assert partition_keys("Query", {"KeyConditionExpression": "gsi1pk = :p AND begins_with(gsi1sk, :w)",
                                    "ExpressionAttributeValues": {":p": {"S": "SESSIONS#acc"}, ":w": {"S": "x"}}}
                          ) == ["SESSIONS#acc"]
    assert partition_keys("TransactWriteItems", {"TransactItems": [
        {"Put": {"Item": {"pk": {"S": "ACCOUNT#a"}, "sk": {"S": "A"}}}},
        {"Delete": {"Key": {"pk": {"S": "CLAIM#email#x"}, "sk": {"S": "C"}}}}]}) == ["ACCOUNT#a", "CLAIM#email#x"]
    assert partition_keys("Scan", {}) == ["<unrecorded operation Scan>"]
    assert partition_keys("Query", {"KeyConditionExpression": "#k = :p", "ExpressionAttributeNames": {"#k": "pk"},
                                    "ExpressionAttributeValues": {":p": {"S": "ACCOUNT#a"}}}
                          ) == ["<no partition key read from Query>"]
    with pytest.raises(AssertionError, match="without a KIND# prefix"):
        key_pattern("<no partition key read from Query>")


# --- 2. flow -> container parts -> adapters, from the code ---------------------------------------

def _container_uses(tree: ast.Module) -> set[str]:
    """Attributes read off `container()`, directly or through a name bound to it in the same function.

    A value handed on by a helper (ops' `c = _local_only()`, whose routes answer 404 off the local
    stage) is not followed: only the stage that has no IAM reaches those parts.
    """
    scopes: list[list[ast.stmt]] = [[n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]]
    scopes += [f.body for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]
    used: set[str] = set()
    for body in scopes:
        nodes = [n for stmt in body for n in ast.walk(stmt)]
        bound = {t.id for n in nodes if isinstance(n, ast.Assign) and _is_container_call(n.value)
                 for t in n.targets if isinstance(t, ast.Name)}
        used |= {n.attr for n in nodes if isinstance(n, ast.Attribute) and (
            _is_container_call(n.value) or (isinstance(n.value, ast.Name) and n.value.id in bound))}
    return used


def _is_container_call(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "container"


@cache
def container_graph() -> dict[str, tuple[set[str], set[str]]]:
    """Each part of the Container: (the parts it is built from, the DynamoDB adapters it builds)."""
    tree = ast.parse((GATEHOUSE / "bootstrap.py").read_text())
    (container,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Container"]
    stores = _store_adapters(tree)
    graph: dict[str, tuple[set[str], set[str]]] = {}
    for member in container.body:
        if not isinstance(member, ast.FunctionDef) or member.name.startswith("_") or member.name == "in_memory":
            continue
        # `self.stores.<store>` reaches that one store's adapter, not the whole bundle.
        via_stores = {n.attr for n in ast.walk(member) if isinstance(n, ast.Attribute)
                      and isinstance(n.value, ast.Attribute) and n.value.attr == "stores"
                      and isinstance(n.value.value, ast.Name) and n.value.value.id == "self"}
        parts = {n.attr for n in ast.walk(member) if isinstance(n, ast.Attribute)
                 and isinstance(n.value, ast.Name) and n.value.id == "self"} - ({"stores"} if via_stores else set())
        adapters = {alias.name for n in ast.walk(member) if isinstance(n, ast.ImportFrom)
                    and n.module == "gatehouse.adapters.dynamodb" for alias in n.names
                    if alias.name.startswith("Dynamo")}
        adapters |= {stores[name] for name in via_stores}
        if member.name == "stores":
            adapters |= set(stores.values())  # the bundle builds every store
        graph[member.name] = (parts, adapters)
    return graph


def _store_adapters(tree: ast.Module) -> dict[str, str]:
    """Each field of `bootstrap.Stores` and the `Dynamo...` adapter `Stores.dynamodb` builds for it."""
    (bundle,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Stores"]
    (factory,) = [n for n in bundle.body if isinstance(n, ast.FunctionDef) and n.name == "dynamodb"]
    return {k.arg: k.value.func.attr for n in ast.walk(factory) if isinstance(n, ast.Call)
            for k in n.keywords if k.arg and isinstance(k.value, ast.Call)
            and isinstance(k.value.func, ast.Attribute) and k.value.func.attr.startswith("Dynamo")}


def reached_parts(roots: set[str]) -> set[str]:
    graph, seen = container_graph(), set()
    pending = [r for r in roots if r not in LOCAL_ONLY_PARTS]
    while pending:
        part = pending.pop()
        if part in seen or part not in graph:
            continue
        seen.add(part)
        pending.extend(p for p in graph[part][0] if p not in LOCAL_ONLY_PARTS)
    return seen


@pytest.fixture(scope="module")
def discovered() -> Discovery:
    return discover(REPO)


def flow_roots(flow: str, found: Discovery) -> set[str]:
    roots: set[str] = set()
    for module in sorted((REPO / "functions" / flow).rglob("*.py")):
        roots |= _container_uses(ast.parse(module.read_text()))
    (entry,) = [f for f in found.flows if f.name == flow]
    if any(r.auth in SESSION_AUTH for r in entry.routes):
        roots.add("sessions")  # gatehouse.api.routing authenticates the session
    return roots


def flow_adapters(flow: str, found: Discovery) -> set[str]:
    graph = container_graph()
    return {a for part in reached_parts(flow_roots(flow, found)) for a in graph[part][1]}


def test_only_the_known_modules_reach_the_container() -> None:
    callers = {str(p.relative_to(GATEHOUSE)) for p in GATEHOUSE.rglob("*.py")
               if any(_is_container_call(n) for n in ast.walk(ast.parse(p.read_text())))}
    assert {c for c in callers if c not in CONTAINER_CALLERS and not c.startswith(CONTAINER_CALLER_DIRS)} == set()
    # The routing layer's own use is modelled in flow_roots: a new part there must be modelled too.
    assert _container_uses(ast.parse((GATEHOUSE / "api" / "routing.py").read_text())) <= ROUTING_PARTS


def test_every_part_that_reaches_the_table_does_so_through_a_dynamodb_adapter() -> None:
    # A part built on `self.table` but not on a Dynamo... adapter would send keys nobody recorded.
    graph = container_graph()
    assert sorted(name for name, (parts, adapters) in graph.items()
                  if "table" in parts and not adapters) == []
    assert "table" in graph and graph["accounts"][1] == {"DynamoAccounts"}


def test_the_container_analysis_follows_what_parts_are_built_from(discovered: Discovery) -> None:
    # login -> Login -> sessions -> DynamoSessions, and accounts; consoles' exchange is local-only in ops.
    assert {"DynamoSessions", "DynamoAccounts", "DynamoThrottle"} <= flow_adapters("login", discovered)
    assert "DynamoOutbox" not in flow_adapters("signup", discovered)  # the outbox exists on the local stage only
    assert flow_adapters("ops", discovered) == set()
    code = "def f():\n c = container()\n c.mfa.x()\n container().login.y\ndef g():\n c = other()\n c.unifier.run()"
    assert _container_uses(ast.parse(code)) == {"mfa", "login"}


# --- the checks ------------------------------------------------------------------------------------

def needed_keys(flow: str, found: Discovery, recorded: dict[str, set[str]]) -> set[str]:
    return {k for adapter in flow_adapters(flow, found) for k in recorded[adapter]}


@pytest.mark.parametrize("flow", flow_names(REPO))
def test_each_flow_declares_exactly_the_key_prefixes_its_code_uses(
    flow: str, discovered: Discovery, recorded: dict[str, set[str]],
) -> None:
    declared = permissions.for_flow(flow).keys
    needed = needed_keys(flow, discovered, recorded)
    undeclared = sorted(k for k in needed if not any(fnmatch.fnmatchcase(k, d) for d in declared))
    assert undeclared == [], (f"{flow} uses these partition keys: add them to its `keys` in infra/permissions.py "
                              f"(needed: {sorted(needed)})")
    unused = sorted(d for d in declared if not any(fnmatch.fnmatchcase(k, d) for k in needed))
    assert unused == [], f"{flow} declares keys its code never uses: remove them (needed: {sorted(needed)})"
    if not needed:
        assert permissions.for_flow(flow).table == (), f"{flow} touches no table: it gets no table actions"


def test_no_permissions_are_declared_for_a_flow_that_does_not_exist() -> None:
    # Single sign-on has no Lambda yet: it gets its rights when it exists, with its own review.
    assert sorted(set(permissions.FLOWS) - set(flow_names(REPO))) == []


def test_only_flows_that_touch_totp_seeds_use_their_key_context(discovered: Discovery) -> None:
    from gatehouse.strategies import totp

    assert totp._context("acc", "fac")["purpose"] == permissions.TOTP_SEED
    for flow in flow_names(REPO):
        uses_seeds = "totp" in reached_parts(flow_roots(flow, discovered))
        purposes = {u.purpose for u in permissions.for_flow(flow).key}
        assert (permissions.TOTP_SEED in purposes) == uses_seeds, flow


def _key_statements(template: dict[str, Any], flow: str) -> list[dict[str, Any]]:
    from infra.template import logical_id

    role = template["Resources"][f"{logical_id(flow)}Role"]
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


@pytest.fixture(scope="module")
def template(discovered: Discovery) -> dict[str, Any]:
    from infra.template import build_template

    return build_template(list(discovered.flows), runtime="python3.12", arch="arm64", stage="dev")


@pytest.mark.parametrize("flow", flow_names(REPO))
def test_each_role_reaches_only_its_keys_and_key_contexts(flow: str, template: dict[str, Any]) -> None:
    grants = permissions.for_flow(flow)
    statements = _key_statements(template, flow)
    table = [s for s in statements if s["Sid"] == "Table"]
    if grants.keys:
        (statement,) = table
        assert statement["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(grants.keys)}}
    else:
        assert table == [] and not any(a.startswith("dynamodb:") for s in statements for a in _listed(s["Action"]))
    kms = [s for s in statements if any(a.startswith("kms:") for a in _listed(s["Action"]))]
    assert len(kms) == len(grants.key)
    for statement, use in zip(kms, grants.key, strict=True):
        assert _listed(statement["Action"]) == list(use.actions)
        assert statement["Condition"] == {"StringEquals": {"kms:EncryptionContext:purpose": use.purpose}}


def _listed(action: str | list[str]) -> list[str]:
    return [action] if isinstance(action, str) else list(action)


def test_the_code_hmac_key_is_decrypted_only_by_the_flows_that_check_codes() -> None:
    users = sorted(f for f, g in permissions.FLOWS.items() if any(u.purpose == permissions.CODE_HMAC for u in g.key))
    assert users == ["login", "reset_sms", "settings"]
    for flow in users:
        (use,) = [u for u in permissions.FLOWS[flow].key if u.purpose == permissions.CODE_HMAC]
        assert use.actions == permissions.KEY_DECRYPT
