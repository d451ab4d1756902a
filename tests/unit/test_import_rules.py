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
