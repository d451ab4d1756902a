"""The composition root: every part has a real type, and one backend's stores are chosen in one place."""

from __future__ import annotations

import dataclasses
from functools import cached_property

from gatehouse.adapters import dynamodb, memory
from gatehouse.bootstrap import Container, Stores
from gatehouse.settings import Settings

from tests.unit.conftest import FAST


def _parts() -> dict[str, cached_property]:  # type: ignore[type-arg]
    return {name: p for name, p in vars(Container).items() if isinstance(p, cached_property)}


def test_every_part_of_the_container_has_a_type_other_than_any() -> None:
    untyped = [name for name, p in _parts().items() if p.func.__annotations__.get("return") in (None, "Any")]
    assert len(_parts()) > 40 and untyped == []


def test_an_in_memory_container_has_only_memory_stores() -> None:
    c = Container.in_memory(FAST)
    for f in dataclasses.fields(Stores):
        store = getattr(c, f.name)
        assert store is getattr(c.stores, f.name)
        assert type(store).__module__.startswith(memory.__name__ + "."), f.name


def test_a_deployed_container_builds_every_store_over_one_table() -> None:
    c = Container(Settings(aws_endpoint_url="http://127.0.0.1:1"))
    for f in dataclasses.fields(Stores):
        store = getattr(c, f.name)
        assert type(store).__module__.startswith(dynamodb.__name__ + "."), f.name
        assert vars(store)["_t"] is c.table, f.name
