"""What each flow's Lambda may do in AWS, as data: the template turns each entry into one IAM role.

All flows share the one table, so table access differs only between reading and writing; every
other grant (mail, SMS, the TOTP key, the documents bucket, the console secrets) goes only to the
flows that call that service. A flow missing from `FLOWS` fails the build: a new Lambda must be
given its permissions on purpose, not inherit someone else's.
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
# opening one decrypts its wrapped data key. Nothing calls kms:Encrypt directly.
KEY_DECRYPT: tuple[str, ...] = ("kms:Decrypt",)
KEY_ENCRYPT: tuple[str, ...] = ("kms:GenerateDataKey",)
KEY_BOTH: tuple[str, ...] = (*KEY_DECRYPT, *KEY_ENCRYPT)

# Recovery documents: presigned uploads (PutObject), then support reads them.
DOCUMENTS_RW: tuple[str, ...] = ("s3:PutObject", "s3:GetObject")


@dataclass(frozen=True)
class FlowPermissions:
    table: tuple[str, ...] = TABLE_WRITE
    mail: tuple[str, ...] = ()
    sms: bool = False
    key: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    # Flows that authenticate a console by HTTP Basic auth read the console secrets.
    console_secrets: bool = False
    # The sso flow reads the providers' client secrets.
    sso_secrets: bool = False


FLOWS: dict[str, FlowPermissions] = {
    "signup": FlowPermissions(mail=MAIL_SEND),
    "login": FlowPermissions(mail=MAIL_SEND),  # /login/code mails a one-time code
    # Opening a TOTP seed; a warning email after repeated wrong codes.
    "mfa_verify": FlowPermissions(mail=MAIL_SEND, key=KEY_DECRYPT),
    # Sealing new seeds, confirming them; a notice email when a factor is added or removed.
    "mfa_manage": FlowPermissions(mail=MAIL_SEND, key=KEY_BOTH),
    "consoles": FlowPermissions(console_secrets=True),  # /consoles/exchange
    "reset_email": FlowPermissions(mail=MAIL_SEND),
    # The code goes by SMS; the "password changed" notice still goes by email.
    "reset_sms": FlowPermissions(mail=MAIL_SEND, sms=True),
    "settings": FlowPermissions(mail=MAIL_SEND),  # email change links, password change notices
    # Linking writes identities; a notice email on each link; the providers' client secrets.
    "sso": FlowPermissions(mail=MAIL_SEND, sso_secrets=True),
    # /api-keys (a notice email for each key made), /api-keys/verify and /authz/check (consoles).
    "organization": FlowPermissions(mail=MAIL_SEND, console_secrets=True),
    "support": FlowPermissions(mail=MAIL_SEND, documents=DOCUMENTS_RW),
    # Pages, health and the OpenAPI document only read (and /dev/* answers 404 off the local stage).
    "web": FlowPermissions(table=TABLE_READ),
    "ops": FlowPermissions(table=TABLE_READ),
    "unification_notifier": FlowPermissions(mail=MAIL_BULK),
    "unifier": FlowPermissions(key=KEY_ENCRYPT),  # seals migrated legacy TOTP seeds under the key
}


def for_flow(flow: str) -> FlowPermissions:
    try:
        return FLOWS[flow]
    except KeyError:
        raise KeyError(f"flow {flow!r} has no entry in infra/permissions.py FLOWS: "
                       "declare what its Lambda may do before it can be packaged") from None
