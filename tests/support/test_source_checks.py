"""The source checks see every way a module can catch DynamoDB's error or read its codes."""

from __future__ import annotations

import ast

from tests.support.source_checks import catches_client_error, reads_condition_codes


def test_the_check_sees_every_way_of_catching_dynamodb_s_error() -> None:
    for clause in ("except ClientError:", "except (ValueError, ClientError) as e:",
                   "except botocore.exceptions.ClientError:"):
        assert catches_client_error(ast.parse(f"try:\n    pass\n{clause}\n    pass\n")), clause
    assert not catches_client_error(ast.parse("try:\n    pass\nexcept ConditionLost:\n    pass\n"))
    assert reads_condition_codes(ast.parse("reasons = exc.response.get('CancellationReasons')"))
    assert reads_condition_codes(ast.parse("from gatehouse.adapters.aws import error_code"))
    assert not reads_condition_codes(ast.parse("lost.reasons[0] != 'None'"))
