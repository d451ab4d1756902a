"""The AWS call counter of the bench and of the tests that count calls: one botocore before-call
hook for the process (`gatehouse.adapters.aws.on_api_call` hooks cannot be removed), counting
`service.Operation` while switched on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class CallCounter:
    """A botocore before-call hook that counts `service.Operation` while switched on."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.active = False

    def __call__(self, **kwargs: Any) -> None:
        if self.active:
            model = kwargs["model"]
            self.calls[f"{model.service_model.endpoint_prefix}.{model.name}"] += 1

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        self.calls, self.active = Counter(), True
        try:
            yield self.calls
        finally:
            self.active = False


_COUNTER: CallCounter | None = None


def counter() -> CallCounter:
    """The process's one counter, registered with botocore on first use."""
    global _COUNTER
    if _COUNTER is None:
        from gatehouse.adapters.aws import on_api_call

        _COUNTER = CallCounter()
        on_api_call(_COUNTER)
    return _COUNTER
