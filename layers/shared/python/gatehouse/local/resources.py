"""Create what a stage needs in AWS (locally: in moto): table, mail identity, KMS key (and the code
pepper wrapped under it), bucket."""

from __future__ import annotations

from botocore.exceptions import ClientError

from gatehouse.adapters.aws import client, error_code
from gatehouse.adapters.dynamodb import create_table
from gatehouse.settings import Settings


def provision(settings: Settings) -> None:
    create_table(settings)
    from gatehouse.adapters.bulk_mail import create_ses_templates
    from gatehouse.flows.notifier import ANNOUNCE, COMPLETE

    create_ses_templates(settings, [ANNOUNCE, COMPLETE])
    ses = client("ses", settings)
    domain = settings.mail_from.split("@", 1)[1]
    ses.verify_domain_identity(Domain=domain)
    ses.verify_email_identity(EmailAddress=settings.mail_from)
    kms = client("kms", settings)
    try:
        kms.describe_key(KeyId=settings.kms_key_id)
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        key = kms.create_key(Description="Gatehouse TOTP seeds")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=key)
    from gatehouse.adapters.code_pepper import create_code_pepper

    create_code_pepper(settings)
    s3 = client("s3", settings)
    try:
        s3.create_bucket(Bucket=settings.documents_bucket,
                         CreateBucketConfiguration={"LocationConstraint": settings.region})
    except ClientError as exc:
        if error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    # As the template's bucket (which owns it on AWS): browsers post the recovery documents straight to
    # it, from our origins only.
    if settings.stage == "local":
        s3.put_bucket_cors(Bucket=settings.documents_bucket, CORSConfiguration={"CORSRules": [{
            "AllowedMethods": ["POST", "PUT"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 3000,
            "AllowedOrigins": list(settings.allowed_origins)}]})
