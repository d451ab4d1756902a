"""What each flow's Lambda may do in AWS, as data: the template turns each entry into one IAM role.

All flows share the one table: each reaches only the items whose partition keys start with its
`keys` (IAM's `dynamodb:LeadingKeys`, which on a Query of an index is the index's partition key);
tests/infra/test_permissions.py checks them against the keys the flow's code sends. The stack's
KMS key is used only under the encryption context `purpose` a flow's code uses. Every other grant
(mail, SMS, the documents bucket, the console secrets) goes only to the flows that call that
service. A flow missing from `FLOWS` fails the build: a new Lambda must be given its permissions on
purpose, not inherit someone else's; a flow that does not exist yet (single sign-on) has no entry.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE_READ: tuple[str, ...] = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
TABLE_WRITE: tuple[str, ...] = (
    *TABLE_READ,
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:TransactWriteItems",
    "dynamodb:TransactGetItems",
)

# Sending through SES: single messages, and the notifier's bulk templated sends.
MAIL_SEND: tuple[str, ...] = ("ses:SendEmail",)
MAIL_BULK: tuple[str, ...] = ("ses:SendEmail", "ses:SendBulkTemplatedEmail")

# TOTP seeds are envelope-encrypted (gatehouse.adapters.kms): sealing a seed asks for a data key,
# opening one decrypts its wrapped data key. The code pepper (one-time codes' HMAC key) is a data
# key too, unwrapped under the context {"purpose": "code-hmac"}. Nothing calls kms:Encrypt directly.
KEY_DECRYPT: tuple[str, ...] = ("kms:Decrypt",)
KEY_ENCRYPT: tuple[str, ...] = ("kms:GenerateDataKey",)
KEY_BOTH: tuple[str, ...] = (*KEY_DECRYPT, *KEY_ENCRYPT)


@dataclass(frozen=True)
class KeyUse:
    """Actions on the stack's KMS key, allowed only under encryption contexts with this `purpose`."""

    actions: tuple[str, ...]
    purpose: str


# The context of a TOTP seed (gatehouse.strategies.totp): {"purpose": "totp_seed", account, factor};
# the unifier's seeds sealed a batch at a time share a data key under {"purpose": "totp_seed", batch}.
TOTP_SEED = "totp_seed"
# The server's HMAC key for one-time codes, decrypted once per cold start.
CODE_HMAC = "code-hmac"

# Recovery documents: presigned uploads (PutObject), then support reads them.
DOCUMENTS_RW: tuple[str, ...] = ("s3:PutObject", "s3:GetObject")
# Deleting a decided request's documents: delete markers only (the bucket's lifecycle rule expires
# the noncurrent versions), so no s3:DeleteObjectVersion.
DOCUMENTS_DELETE: tuple[str, ...] = ("s3:DeleteObject",)


@dataclass(frozen=True)
class FlowPermissions:
    # Partition key patterns (IAM StringLike: `ACCOUNT#*`; a constant key as itself: `WAVES`).
    # No keys, no table access at all.
    keys: tuple[str, ...] = ()
    table: tuple[str, ...] = TABLE_WRITE
    mail: tuple[str, ...] = ()
    sms: bool = False
    key: tuple[KeyUse, ...] = ()
    documents: tuple[str, ...] = ()
    # Flows that authenticate a console by HTTP Basic auth read the console secrets.
    console_secrets: bool = False
    # The sso flow reads the providers' client secrets.
    sso_secrets: bool = False


# Partition key prefixes, by the adapters that write them (gatehouse/adapters/dynamodb/).
ACCOUNTS = ("ACCOUNT#*", "CLAIM#*")  # the account (and, beside it, factors, API keys, members) and its claims
SESSIONS = ("SESSION#*", "SESSIONS#*")  # a session; an account's sessions on the gsi1 index
ONE_TIME = ("ONCE#*", "LATEST#*")  # single-use tokens and each subject's latest one
THROTTLES = ("THROTTLE#*", "RATE#*")  # failure counters and message rate windows
# Every verification process (sign-in code, phone code, reset flows) and each subject's latest flow.
VERIFICATIONS = ("VERIFY#*", "VERIFY_LATEST#*")
RECOVERY = VERIFICATIONS  # password reset flows are verification processes too
RECOVERY_REQUESTS = ("RECOVERYREQ#*",)  # manual recovery requests; support's queue on gsi1
API_KEYS = ("APIKEY#*",)
ORGANIZATIONS = ("MEMBEROF#*", "GRANTEE#*")
UNIFICATION = ("LEGACY#*", "UNIFY#*", "UNIFYEMAIL#*", "NOTIFY#*", "WAVES")
RESOURCES = ("RESOURCES#*",)  # the resources consoles registered (and unified legacy ones), per context
CODE_PEPPER = ("CONFIG#*",)  # the KMS-wrapped code pepper, read once per cold start
IDENTITIES = ("IDENTITY#*",)  # single sign-on identities, each keyed on its provider's stable id


def keys(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({k for group in groups for k in group}))


SEEDS_OPEN = KeyUse(KEY_DECRYPT, TOTP_SEED)
SEEDS_SEAL = KeyUse(KEY_ENCRYPT, TOTP_SEED)
SEEDS_BOTH = KeyUse(KEY_BOTH, TOTP_SEED)
HMAC_OPEN = KeyUse(KEY_DECRYPT, CODE_HMAC)

FLOWS: dict[str, FlowPermissions] = {
    # The sign-up link is a verification process; links issued before it still read as one-time items.
    "signup": FlowPermissions(keys(ACCOUNTS, ONE_TIME, THROTTLES, VERIFICATIONS), mail=MAIL_SEND),
    # /login/code mails a one-time code (stored as an HMAC under the server key); /login/legacy
    # reads only the account (its unification summary is on it).
    "login": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES, VERIFICATIONS, CODE_PEPPER),
                             mail=MAIL_SEND, key=(HMAC_OPEN,)),
    # Opening a TOTP seed; a warning email after repeated wrong codes.
    "mfa_verify": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES), mail=MAIL_SEND, key=(SEEDS_OPEN,)),
    # Sealing new seeds, confirming them; a notice email when a factor is added or removed.
    "mfa_manage": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME), mail=MAIL_SEND, key=(SEEDS_BOTH,)),
    "consoles": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, ORGANIZATIONS, RESOURCES),
                                console_secrets=True),  # /consoles/exchange
    # The recovery flow it shares with reset_sms reaches the pepper's item (never the KMS key to open it).
    "reset_email": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES, RECOVERY, CODE_PEPPER),
                                   mail=MAIL_SEND),
    # The code goes by SMS (stored as an HMAC under the server key); the "password changed" notice by email.
    "reset_sms": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES, RECOVERY, CODE_PEPPER), mail=MAIL_SEND,
                                 sms=True,
                                 key=(HMAC_OPEN,)),
    # Email change links, password change notices, the phone's verification code; /unification.
    "settings": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES, UNIFICATION, VERIFICATIONS,
                                     CODE_PEPPER), mail=MAIL_SEND, sms=True, key=(HMAC_OPEN,)),
    # Linking writes identities (and signs up); a notice email on each link; the providers' client secrets.
    "sso": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, IDENTITIES), mail=MAIL_SEND, sso_secrets=True),
    # /api-keys (a notice email for each key made), /api-keys/verify and /authz/check (consoles).
    # The daily budget of invitations and grants is a RATE# window.
    "organization": FlowPermissions(keys(ACCOUNTS, SESSIONS, API_KEYS, ORGANIZATIONS, THROTTLES, RESOURCES),
                                    mail=MAIL_SEND,
                                    console_secrets=True),
    # An approval's hold is announced by email and by SMS to the phone on file, with cancel links.
    "support": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES, RECOVERY, RECOVERY_REQUESTS, CODE_PEPPER),
                               mail=MAIL_SEND, sms=True, documents=DOCUMENTS_RW),
    # Pages, health and the OpenAPI document touch no table (and /dev/* answers 404 off the local stage).
    "web": FlowPermissions(table=()),
    "ops": FlowPermissions(table=()),
    "unification_notifier": FlowPermissions(keys(UNIFICATION), mail=MAIL_BULK),
    # Seals migrated legacy TOTP seeds under the key.
    "unifier": FlowPermissions(keys(ACCOUNTS, ONE_TIME, API_KEYS, UNIFICATION, RESOURCES), key=(SEEDS_SEAL,)),
    # Applies ended holds (the old address's notice, the new address's reset link) and deletes the
    # documents of requests decided long enough ago.
    "recovery_hold": FlowPermissions(keys(ACCOUNTS, SESSIONS, ONE_TIME, THROTTLES, RECOVERY, RECOVERY_REQUESTS,
                                          CODE_PEPPER),
                                     mail=MAIL_SEND, documents=DOCUMENTS_DELETE),
}


def for_flow(flow: str) -> FlowPermissions:
    try:
        return FLOWS[flow]
    except KeyError:
        raise KeyError(f"flow {flow!r} has no entry in infra/permissions.py FLOWS: "
                       "declare what its Lambda may do before it can be packaged") from None
