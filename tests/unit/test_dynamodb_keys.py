"""The key map is the one place the table's keys are spelled, and its table tells every kind it makes."""

from __future__ import annotations

import ast
import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

from gatehouse.adapters.dynamodb import keys

from tests.support.source_checks import catches_client_error, reads_condition_codes

PACKAGE = Path(keys.__file__).parent
_KIND = re.compile(r"[A-Z][A-Z0-9_]*#")
_ARGUMENTS = {"str": "x", "int": 3, "datetime": datetime(2026, 1, 2, tzinfo=UTC)}


def _made_keys() -> dict[str, keys.Key]:
    made = {}
    for name, function in vars(keys).items():
        if inspect.isfunction(function) and function.__module__ == keys.__name__ \
                and inspect.signature(function).return_annotation == "Key":
            arguments = [_ARGUMENTS[p.annotation] for p in inspect.signature(function).parameters.values()]
            made[name] = function(*arguments)
    return made


def _kind(pk: str) -> str:
    found = _KIND.match(pk)
    return found.group(0) if found else pk


def _documented_kinds(table: int) -> set[str]:
    """The partition key kinds of the docstring's first table (the table's keys) or second (gsi1's)."""
    text = (keys.__doc__ or "").split("The one index")[table]
    cells = [line.split("|")[2].strip() for line in text.splitlines() if line.startswith("| ")]
    return {_kind(cell.strip("`")) for cell in cells if cell.startswith("`")}


def _spelled_keys(tree: ast.AST) -> list[str]:
    """String constants (f-string parts included) that start like a partition key: `KIND#...`."""
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (_KIND.match(node.value) or node.value in (keys.WAVES, keys.OUTBOX))]


def _modules() -> dict[str, ast.AST]:
    return {path.name: ast.parse(path.read_text()) for path in sorted(PACKAGE.glob("*.py"))}


def test_every_partition_key_kind_the_key_map_makes_is_in_its_table_and_no_other() -> None:
    made = {_kind(key.pk) for key in _made_keys().values()}
    assert made == _documented_kinds(0)
    assert "ACCOUNT#" in made and "WAVES" in made


def test_every_partition_key_starts_with_its_kind_as_iam_reads_it() -> None:
    for name, key in _made_keys().items():
        assert _KIND.match(key.pk) or key.pk in (keys.WAVES, keys.OUTBOX), name
        assert key.item() == {"pk": key.pk, "sk": key.sk}


def test_the_index_keys_are_those_its_table_names() -> None:
    made = {_kind(pk) for pk in (keys.sessions_of("a"), keys.recovery_status("pending"), keys.legacy_shard(1),
                                 keys.unified_state("scheduled", 2))}
    assert made == _documented_kinds(1) == {"SESSIONS#", "RECOVERYREQ#", "LEGACY#", "UNIFY#"}
    assert keys.unified_state("told", keys.shard("k")) == f"UNIFY#told#{keys.shard('k')}"
    assert 0 <= keys.shard("anything") < keys.SHARDS


def test_recovery_queue_keys_sort_as_the_instants_they_name() -> None:
    early, late = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC)
    assert keys.recovery_queue("z", early) < keys.recovery_queue("a", late)
    assert keys.recovery_queue("any", late) < keys.recovery_queue_until(late)


def test_a_notification_claim_gives_back_its_unified_key() -> None:
    assert keys.notified_key(keys.notification("email:a#b@example.com", "final").pk, "final") == "email:a#b@example.com"


def test_no_adapter_module_spells_a_key_of_its_own() -> None:
    spelled = {name: _spelled_keys(tree) for name, tree in _modules().items()
               if name != "keys.py"}
    assert {name: found for name, found in spelled.items() if found} == {}


def test_no_adapter_module_turns_a_lost_condition_into_an_error_itself() -> None:
    # table.py does it once for all; schema.py only tells an existing table from a failure. The round
    # trips (what several ports write together) are held to it like the ports' own modules.
    modules = _modules()
    assert {"round_trips.py", "accounts.py", "mfa.py"} <= modules.keys()
    catching = {name for name, tree in modules.items() if catches_client_error(tree)}
    assert catching == {"table.py", "schema.py"}
    reading = {name for name, tree in modules.items() if reads_condition_codes(tree)}
    assert reading <= {"table.py", "schema.py"}
