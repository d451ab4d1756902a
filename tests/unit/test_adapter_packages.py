"""The in-memory fakes mirror the DynamoDB adapter module by module, and each port has its conformance file."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from gatehouse.adapters import dynamodb, memory

# The table's own modules: the wrapper, the key map and the schema are no port.
TABLE_MODULES = {"table", "keys", "schema"}
# DynamoConfig is the KMS code pepper's storage, not a port: the pepper is faked whole (FakeCodePepper).
NOT_A_PORT = {"config"}
CONFORMANCE = Path(__file__).parents[1] / "conformance"


def _classes(package: object, prefix: str) -> dict[str, set[str]]:
    """Module name -> the `<prefix>...` classes it defines, for every module of the package."""
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(package.__path__):  # type: ignore[attr-defined]
        module = importlib.import_module(f"{package.__name__}.{info.name}")  # type: ignore[attr-defined]
        found[info.name] = {name.removeprefix(prefix) for name, cls in vars(module).items()
                            if inspect.isclass(cls) and cls.__module__ == module.__name__ and name.startswith(prefix)}
    return found


def _ports() -> dict[str, set[str]]:
    return {m: c for m, c in _classes(dynamodb, "Dynamo").items() if m not in TABLE_MODULES | NOT_A_PORT}


def test_every_port_has_a_fake_and_a_dynamodb_module_of_the_same_name() -> None:
    fakes = {m: c for m, c in _classes(memory, "Memory").items() if c}
    assert fakes == _ports()
    assert all(_ports().values())  # each adapter module holds its adapter


def test_the_other_fakes_are_of_ports_off_the_table() -> None:
    # Clock, mail and SMS, documents (S3), key vault (KMS), code pepper, response floors.
    others = {m for m, c in _classes(memory, "Memory").items() if not c}
    assert others and not others & set(_classes(dynamodb, "Dynamo"))


def test_each_port_has_its_own_conformance_file() -> None:
    def singular(name: str) -> str:
        return name[:-3] + "y" if name.endswith("ies") else name.removesuffix("s")

    missing = [m for m in _ports() if not (CONFORMANCE / f"test_{singular(m)}_store.py").exists()
               and not (CONFORMANCE / f"test_{m}.py").exists()]
    assert missing == []
    assert not (CONFORMANCE / "test_stores.py").exists()
