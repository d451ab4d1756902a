"""Checks over the source of the DynamoDB adapter modules (their AST): whether a module catches
botocore's ClientError itself, or reads the codes of a lost condition, which only the table wrapper
may do (tests/unit/test_dynamodb_keys.py)."""

from __future__ import annotations

import ast

# What only the table wrapper may read of DynamoDB's error to tell a lost condition (schema.py its
# own: an existing table).
CONDITION_CODES = {"error_code", "conditional_failed", "_conditional_failed", "CancellationReasons",
                   "ConditionalCheckFailedException", "TransactionCanceledException"}


def _caught(node: ast.expr | None) -> set[str]:
    """The names an `except` clause catches: `ClientError`, `exceptions.ClientError`, or a tuple of them."""
    if isinstance(node, ast.Tuple):
        return set().union(*(_caught(element) for element in node.elts))
    if isinstance(node, ast.Name):
        return {node.id}
    return {node.attr} if isinstance(node, ast.Attribute) else set()


def catches_client_error(tree: ast.AST) -> bool:
    return any(isinstance(node, ast.ExceptHandler) and "ClientError" in _caught(node.type) for node in ast.walk(tree))


def reads_condition_codes(tree: ast.AST) -> bool:
    named = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    named |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    named |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    named |= {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return bool(named & CONDITION_CODES)
