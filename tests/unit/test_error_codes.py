"""Every error a flow can raise has an HTTP status in the map and a place in the OpenAPI enum."""

from __future__ import annotations

import importlib
import pkgutil

import gatehouse
import pytest
from gatehouse.api.errors import STATUS, to_response_parts
from gatehouse.errors import GatehouseError


def _every_error_class() -> list[type[GatehouseError]]:
    # Errors live beside the flows that raise them too (flows/account.py's WrongPasswordError):
    # import the whole layer so that each subclass is defined before the walk.
    for info in pkgutil.walk_packages(gatehouse.__path__, prefix="gatehouse."):
        importlib.import_module(info.name)
    found: list[type[GatehouseError]] = []
    pending = [GatehouseError]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


ERRORS = _every_error_class()


def test_the_walk_finds_the_errors_defined_outside_errors_py() -> None:
    from gatehouse.flows.account import WrongPasswordError

    assert WrongPasswordError in ERRORS and len(ERRORS) > 20


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: f"{e.__module__}.{e.__name__}")
def test_every_error_code_has_an_http_status(error: type[GatehouseError]) -> None:
    assert error.code in STATUS, f"{error.__name__}.code {error.code!r} has no status in gatehouse/api/errors.py"


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: f"{e.__module__}.{e.__name__}")
def test_every_error_code_is_in_the_openapi_error_enum(error: type[GatehouseError]) -> None:
    from gatehouse.api.openapi import document

    enum = document()["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert error.code in enum, f"{error.__name__}.code {error.code!r} is not in the OpenAPI error enum"


def test_a_wrong_current_password_and_a_refused_address_are_400() -> None:
    from gatehouse.errors import InvalidEmailError
    from gatehouse.flows.account import WrongPasswordError

    assert to_response_parts(WrongPasswordError())[0] == 400
    status, body, _ = to_response_parts(InvalidEmailError())
    assert status == 400 and body["error"]["code"] == "invalid_email"


def test_an_error_code_missing_from_the_map_is_logged_not_silently_400(caplog) -> None:
    class Unmapped(GatehouseError):
        code = "no_such_code_anywhere"

    import logging

    with caplog.at_level(logging.ERROR):
        status, _, _ = to_response_parts(Unmapped())
    assert status == 400
    assert any("without an HTTP status" in r.getMessage() for r in caplog.records)
