"""Unit tier: the real flows over in-memory fakes, with a cheap hash so the suite stays fast."""

from __future__ import annotations

import pytest
from gatehouse.bootstrap import Container
from gatehouse.settings import Argon2Params, Settings

FAST = Settings(argon2=Argon2Params(memory_kib=1024, time_cost=1, parallelism=1))


@pytest.fixture
def c() -> Container:
    return Container.in_memory(FAST)
