"""The key map of the one table: every item's `pk`/`sk` (and gsi1's `gsi1pk`/`gsi1sk`) is made here.

This module is where a reader learns the single-table design: each adapter module only names the
key it wants. A partition key always starts with `KIND#` (IAM's `dynamodb:LeadingKeys` grants a
flow its kinds, see infra/permissions.py), so a new kind is a new prefix here and in the
permissions of the flows that use it.

| item                          | pk                                  | sk                       |
|-------------------------------|-------------------------------------|--------------------------|
| account                       | `ACCOUNT#<account>`                 | `A`                      |
| its API key (listed)          | `ACCOUNT#<account>`                 | `APIKEY#<key id>`        |
| its linked identity (listed)  | `ACCOUNT#<account>`                 | `IDENTITY#<prov>#<key>`  |
| its member (the owner's list) | `ACCOUNT#<owner>`                   | `MEMBER#<member id>`     |
| its grant (the owner's list)  | `ACCOUNT#<owner>`                   | `GRANT#<grant id>`       |
| its second factor             | `ACCOUNT#<account>`                 | `MFA#<factor id>`        |
| its recovery code digests     | `ACCOUNT#<account>`                 | `RECOVERY`               |
| email or alias claim          | `CLAIM#<kind>#<value>`              | `C`                      |
| API key (what a call reads)   | `APIKEY#<key id>`                   | `K`                      |
| linked identity (sign-in)     | `IDENTITY#<provider>#<key>`         | `I`                      |
| membership (access check)     | `MEMBEROF#<email>`                  | `<owner>`                |
| grant (access check)          | `GRANTEE#<email>`                   | `<owner>#<grant id>`     |
| stage-wide value              | `CONFIG#<name>`                     | `K`                      |
| session                       | `SESSION#<token hash>`              | `S`                      |
| failure counter (throttle)    | `THROTTLE#<key>`                    | `T`                      |
| rate counter, one a window    | `RATE#<key>#<window>`               | `R`                      |
| one-time item (link)          | `ONCE#<kind>#<key>`                 | `O`                      |
| a subject's latest one-time   | `LATEST#<kind>#<subject>`           | `L`                      |
| verification process          | `VERIFY#<purpose>#<key>`            | `V`                      |
| a subject's latest process    | `VERIFY_LATEST#<purpose>#<subject>` | `L`                      |
| recovery request              | `RECOVERYREQ#<request>`             | `R`                      |
| a context's resource          | `RESOURCES#<account>#<context>`     | `RESOURCE#<resource id>` |
| a context's resource count    | `RESOURCES#<account>#<context>`     | `COUNT`                  |
| archived legacy record        | `LEGACY#<console>#<legacy id>`      | `R`                      |
| unified account state         | `UNIFY#<unified key>`               | `U`                      |
| unified account by email      | `UNIFYEMAIL#<normalised email>`     | `E`                      |
| unification wave              | `WAVES`                             | `<wave name>`            |
| notification claim            | `NOTIFY#<unified key>#<stage>`      | `N`                      |
| sent message (local only)     | `OUTBOX`                            | `<sent at>#<message id>` |

The one index, gsi1 (`gsi1pk` / `gsi1sk`), holds:

| item                   | gsi1pk                  | gsi1sk           |
|------------------------|-------------------------|------------------|
| session                | `SESSIONS#<account>`    | `<created at>`   |
| recovery request       | `RECOVERYREQ#<status>`  | `<when>#<id>`    |
| archived legacy record | `LEGACY#<shard>`        | `<console>#<id>` |
| unified account state  | `UNIFY#<state>#<shard>` | `<wave>#<key>`   |

Shards: the archive and each unification state are spread over `SHARDS` index partitions by a
hash of the key (`shard`), so 100,000s written at once make no hot partition. A completed account
once told moves to `UNIFY#told#<shard>`, out of the notifier's way.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import NamedTuple


class Key(NamedTuple):
    """An item's primary key; `*key` passes it to `Table.get(pk, sk)`."""

    pk: str
    sk: str

    def item(self) -> dict[str, str]:
        return {"pk": self.pk, "sk": self.sk}


# --- sort key prefixes, for `begins_with(sk, ...)` on an account's partition ------------------------
API_KEY = "APIKEY#"
IDENTITY = "IDENTITY#"
MEMBER = "MEMBER#"
GRANT = "GRANT#"
MFA = "MFA#"
RESOURCE = "RESOURCE#"

# The archive and each state are spread over 16 index partitions (by a hash of the key): no hot
# partition when 100,000s are written at once, and each page query stays within one of them.
SHARDS = 16


def shard(key: str) -> int:
    return zlib.crc32(key.encode("utf-8")) % SHARDS


# --- accounts and what sits beside them --------------------------------------------------------------
def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def account(account_id: str) -> Key:
    return Key(account_pk(account_id), "A")


def claim(kind: str, value: str) -> Key:
    return Key(f"CLAIM#{kind}#{value}", "C")


def account_api_key(account_id: str, key_id: str) -> Key:
    return Key(account_pk(account_id), f"{API_KEY}{key_id}")


def api_key(key_id: str) -> Key:
    return Key(f"APIKEY#{key_id}", "K")


def identity_name(provider: str, key: str) -> str:
    """An identity's name: its own partition key, and its sort key beside the account."""
    return f"{IDENTITY}{provider}#{key}"


def identity(provider: str, key: str) -> Key:
    return Key(identity_name(provider, key), "I")


def account_identity(account_id: str, provider: str, key: str) -> Key:
    return Key(account_pk(account_id), identity_name(provider, key))


def factor(account_id: str, factor_id: str) -> Key:
    return Key(account_pk(account_id), f"{MFA}{factor_id}")


def recovery_codes(account_id: str) -> Key:
    return Key(account_pk(account_id), "RECOVERY")


# --- organizations -------------------------------------------------------------------------------------
def member(owner_id: str, member_id: str) -> Key:
    return Key(account_pk(owner_id), f"{MEMBER}{member_id}")


def member_of_pk(email: str) -> str:
    return f"MEMBEROF#{email}"


def member_of(email: str, owner_id: str) -> Key:
    return Key(member_of_pk(email), owner_id)


def grant(owner_id: str, grant_id: str) -> Key:
    return Key(account_pk(owner_id), f"{GRANT}{grant_id}")


def grantee_pk(email: str) -> str:
    return f"GRANTEE#{email}"


def grantee(email: str, owner_id: str, grant_id: str) -> Key:
    return Key(grantee_pk(email), f"{owner_id}#{grant_id}")


# --- stage-wide values -------------------------------------------------------------------------------
def config(name: str) -> Key:
    return Key(f"CONFIG#{name}", "K")


# --- sessions, counters, one-time items and verifications --------------------------------------------
def session(token_hash: str) -> Key:
    return Key(f"SESSION#{token_hash}", "S")


def sessions_of(account_id: str) -> str:
    """gsi1pk of an account's sessions (gsi1sk: their creation)."""
    return f"SESSIONS#{account_id}"


def throttle(key: str) -> Key:
    return Key(f"THROTTLE#{key}", "T")


def rate(key: str, window: int) -> Key:
    return Key(f"RATE#{key}#{window}", "R")


def one_time(kind: str, key: str) -> Key:
    return Key(f"ONCE#{kind}#{key}", "O")


def one_time_latest(kind: str, subject: str) -> Key:
    return Key(f"LATEST#{kind}#{subject}", "L")


def verification(purpose: str, key: str) -> Key:
    return Key(f"VERIFY#{purpose}#{key}", "V")


def verification_latest(purpose: str, subject: str) -> Key:
    return Key(f"VERIFY_LATEST#{purpose}#{subject}", "L")


# --- recovery requests ---------------------------------------------------------------------------------
def recovery_request(request_id: str) -> Key:
    return Key(f"RECOVERYREQ#{request_id}", "R")


def recovery_status(status: str) -> str:
    """gsi1pk of the requests in one status."""
    return f"RECOVERYREQ#{status}"


def stamp(when: datetime) -> str:
    # Fixed width (always microseconds), so that keys sort as the instants they name.
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def recovery_queue(request_id: str, when: datetime) -> str:
    """gsi1sk of a request: `when` is its creation while pending, else its `due_at`."""
    return f"{stamp(when)}#{request_id}"


def recovery_queue_until(when: datetime) -> str:
    # "#" sorts below every character of an id: `<when>~` bounds every key of that instant.
    return f"{stamp(when)}~"


# --- a context's resources -----------------------------------------------------------------------------
def resources_pk(account_id: str, context: str) -> str:
    # The account is in the key because context ids are unique per account, not across accounts.
    return f"RESOURCES#{account_id}#{context}"


def resource(account_id: str, context: str, resource_id: str) -> Key:
    return Key(resources_pk(account_id, context), f"{RESOURCE}{resource_id}")


def resource_count(account_id: str, context: str) -> Key:
    return Key(resources_pk(account_id, context), "COUNT")


# --- unification -------------------------------------------------------------------------------------
def legacy(console: str, legacy_id: str) -> Key:
    return Key(f"LEGACY#{console}#{legacy_id}", "R")


def legacy_shard(number: int) -> str:
    """gsi1pk of one shard of the archive (gsi1sk: `<console>#<legacy id>`)."""
    return f"LEGACY#{number}"


def legacy_in_shard(console: str, legacy_id: str) -> str:
    """gsi1sk of an archived record."""
    return f"{console}#{legacy_id}"


def unified(unified_key: str) -> Key:
    return Key(f"UNIFY#{unified_key}", "U")


def unified_state(state: str, number: int) -> str:
    """gsi1pk of one shard of a state (`told` included); gsi1sk is `wave_member`."""
    return f"UNIFY#{state}#{number}"


def wave_member(wave: str, unified_key: str = "") -> str:
    """gsi1sk of an account in a wave; with no key, the prefix of the whole wave."""
    return f"{wave}#{unified_key}"


def unified_email(normalised_email: str) -> Key:
    return Key(f"UNIFYEMAIL#{normalised_email}", "E")


WAVES = "WAVES"


def wave(name: str) -> Key:
    return Key(WAVES, name)


def notification(unified_key: str, stage: str) -> Key:
    return Key(f"NOTIFY#{unified_key}#{stage}", "N")


def notified_key(pk: str, stage: str) -> str:
    """The unified key back from a notification claim's partition key."""
    return pk[len("NOTIFY#"):-len(stage) - 1]


# --- the local outbox ------------------------------------------------------------------------------------
OUTBOX = "OUTBOX"


def outbox(sent_at: str, message_id: str) -> Key:
    return Key(OUTBOX, f"{sent_at}#{message_id}")
