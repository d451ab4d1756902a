"""The import-linter contracts (pyproject.toml, checked by `lint-imports` in make test) cover the whole layer."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import gatehouse

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _contract(name: str) -> dict[str, list[str]]:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (found,) = [c for c in contracts if c["name"] == name]
    return found


def test_the_domain_contract_forbids_every_other_module_of_the_layer() -> None:
    # A module added to the layer later is forbidden to the domain too, or this fails.
    others = {f"gatehouse.{m.name}" for m in pkgutil.iter_modules(gatehouse.__path__)} - {"gatehouse.domain"}
    contract = _contract("The domain imports only the domain")
    assert contract["source_modules"] == ["gatehouse.domain"]
    assert set(contract["forbidden_modules"]) == others


def test_flows_and_strategies_are_forbidden_every_adapter() -> None:
    contract = _contract("Flows and strategies do not use adapters")
    assert set(contract["source_modules"]) == {"gatehouse.flows", "gatehouse.strategies"}
    assert contract["forbidden_modules"] == ["gatehouse.adapters"]


def test_ports_define_only_interfaces() -> None:
    # The records and messages the ports carry are the domain's: a class defined in ports.py is a Protocol.
    from typing import Protocol

    from gatehouse import ports

    defined = {name: obj for name, obj in vars(ports).items()
               if isinstance(obj, type) and obj.__module__ == ports.__name__}
    assert defined and {name for name, obj in defined.items() if Protocol not in obj.__mro__} == set()
    assert all(ports.__dict__[name].__module__.startswith("gatehouse.domain.")
               for name in ("Member", "Grant", "Factor", "AccountApiKey", "RecoveryRequest", "StoredDocument",
                            "ArchivedRecord", "LinkedIdentity", "OneTimeItem", "Email", "Sms", "OutboxMessage",
                            "HttpResponse"))


def test_the_domain_does_no_io() -> None:
    # import-linter sees only the layer's own modules: the standard library's doors to the disk,
    # the network and processes are checked here (the planner's SQLite spill is an adapter).
    import ast

    doors = {"sqlite3", "tempfile", "os", "shutil", "pathlib", "io", "socket", "subprocess", "urllib", "http",
             "boto3", "botocore"}
    domain = Path(gatehouse.__file__).parent / "domain"
    found = []
    for source in sorted(domain.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{source.name} imports {n}" for n in names if n.split(".")[0] in doors]
    assert found == []
