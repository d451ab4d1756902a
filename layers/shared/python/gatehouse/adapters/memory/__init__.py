"""In-memory fakes of the ports, for unit tests, one module per port as in the DynamoDB adapter.

They keep DynamoDB's semantics (conditional writes, expiry as absence, single consumption) and pass
the same conformance suite."""

from __future__ import annotations

from gatehouse.adapters.memory.accounts import MemoryAccounts
from gatehouse.adapters.memory.api_keys import MemoryApiKeys
from gatehouse.adapters.memory.clock import FakeClock
from gatehouse.adapters.memory.code_pepper import FakeCodePepper
from gatehouse.adapters.memory.delivery import FakeMailer, FakeSms
from gatehouse.adapters.memory.documents import FakeDocuments
from gatehouse.adapters.memory.identities import MemoryIdentities
from gatehouse.adapters.memory.key_vault import FakeKeyVault
from gatehouse.adapters.memory.mfa import MemoryMfa
from gatehouse.adapters.memory.one_time import MemoryOneTime
from gatehouse.adapters.memory.organizations import MemoryOrganizations
from gatehouse.adapters.memory.outbox import MemoryOutbox
from gatehouse.adapters.memory.pacing import RecordedFloor
from gatehouse.adapters.memory.recovery_requests import MemoryRecoveryRequests
from gatehouse.adapters.memory.resources import MemoryResources
from gatehouse.adapters.memory.sessions import MemorySessions
from gatehouse.adapters.memory.throttle import MemoryThrottle
from gatehouse.adapters.memory.unification import MemoryUnification
from gatehouse.adapters.memory.verifications import MemoryVerifications

__all__ = [
    "FakeClock",
    "FakeCodePepper",
    "FakeDocuments",
    "FakeKeyVault",
    "FakeMailer",
    "FakeSms",
    "MemoryAccounts",
    "MemoryApiKeys",
    "MemoryIdentities",
    "MemoryMfa",
    "MemoryOneTime",
    "MemoryOrganizations",
    "MemoryOutbox",
    "MemoryRecoveryRequests",
    "MemoryResources",
    "MemorySessions",
    "MemoryThrottle",
    "MemoryUnification",
    "MemoryVerifications",
    "RecordedFloor",
]
