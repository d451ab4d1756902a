"""The SAM template: one function per flow, the shared layer, the table, and what the flows use.

Built as plain data (intrinsics in their long `{"Fn::...": ...}` form, so that a plain YAML dumper
writes them and any YAML loader reads them back). Each function gets its own IAM role, made from
its entry in `infra.permissions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from infra.discover import STAGE_PLACEHOLDER, Flow
from infra.layer import LAYER_DIRS, flow_layers
from infra.permissions import FlowPermissions, for_flow

API_TIMEOUT = 15  # API Gateway gives up at 29 s; argon2 and a few DynamoDB calls need far less
SCHEDULED_TIMEOUT = 300  # batch jobs: unification waves, notification runs
MEMORY = 1024  # argon2id (19 MiB, t=2) and cold-start imports both scale with the CPU share
LOG_RETENTION_DAYS = 30
# The application deletes a request's documents a setting's time after the decision (the
# recovery_hold function); this rule is the backstop for requests never decided, and removes the
# versions those deletions leave behind (the bucket is versioned).
DOCUMENTS_MAX_DAYS = 120

Node = dict[str, Any]

# The checkov findings this stack accepts, each with its reason; every other finding is fixed.
NO_VPC = ("CKV_AWS_117", "Reaches only AWS APIs over TLS with IAM; a VPC adds NAT or endpoints and cold starts, "
          "and isolates nothing")
NO_RESERVED_CONCURRENCY = ("CKV_AWS_115", "The API stage's throttling bounds the functions; reserving concurrency "
                           "would carve the account's pool per function")
ENV_NOT_SECRET = ("CKV_AWS_173", "No secret in the environment (console secrets are in Secrets Manager); Lambda "
                  "encrypts it at rest")
SYNCHRONOUS = ("CKV_AWS_116", "Invoked synchronously by API Gateway: the caller gets the error, a DLQ would never "
               "receive anything")
LOGS_NOT_SECRET = ("CKV_AWS_158", "No secret reaches a log (tests/e2e/test_no_secret_in_logs); CloudWatch encrypts "
                   "logs at rest")
TABLE_KEY = ("CKV_AWS_119", "Encrypted at rest with the AWS-managed key; its secrets (TOTP seeds) are also sealed "
             "under SecretsKey")
NO_CACHE = ("CKV_AWS_120", "Answers depend on the caller's cookie or credentials: a cache would serve one user's "
            "answer to another")
SECRET_KEY = ("CKV_AWS_149", "Encrypted with the AWS-managed key; only the roles that read it by IAM can decrypt it")
QUEUE_SSE = ("CKV_AWS_27", "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which this check "
             "does not read")
BUCKET_LOGS = ("CKV_AWS_18", "Gatehouse records every agent's download (who and when) and CloudTrail the API calls; "
               "no second bucket for server access logs")


def skips(*findings: tuple[str, str]) -> Node:
    """A resource's `Metadata` that tells checkov which findings are accepted, and why."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in findings]}}


def ref(name: str) -> Node:
    return {"Ref": name}


def get_att(resource: str, attribute: str) -> Node:
    return {"Fn::GetAtt": [resource, attribute]}


def sub(text: str) -> Node:
    return {"Fn::Sub": text}


def logical_id(*parts: str) -> str:
    """CamelCase, alphanumeric only: `mfa_verify` -> `MfaVerify`, `/login/{id}` -> `LoginId`."""
    words = [w for p in parts for w in re.split(r"[^A-Za-z0-9]+", p) if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Root"


def function_name(flow: str) -> Node:
    # Fixed names let each log group (and its role's policy) be declared without a reference cycle.
    return sub(f"gatehouse-${{Stage}}-{flow}")


def build_template(flows: list[Flow], *, runtime: str, arch: str, stage: str,
                   ses_templates: Sequence[Mapping[str, str]] = ()) -> Node:
    resources: Node = {}
    resources.update(_shared_resources(runtime, arch))
    for mail in ses_templates:
        # The bulk mailer sends by template name (with its stage): the templates are part of the stack.
        name = mail["TemplateName"]
        resources["MailTemplate" + logical_id(name.replace(STAGE_PLACEHOLDER, ""))] = {
            "Type": "AWS::SES::Template",
            "Properties": {"Template": {**mail, "TemplateName": sub(name.replace(STAGE_PLACEHOLDER, "${Stage}"))}},
        }
    for flow in flows:
        resources.update(_function_resources(flow, for_flow(flow.name)))
    binary = sorted({t for f in flows for t in f.binary_types})
    resources.update(_access_log_resources())
    resources["Api"] = {
        "Type": "AWS::Serverless::Api",
        # API Gateway writes access logs only once its account role is set (ApiGatewayAccount).
        "DependsOn": ["ApiGatewayAccount"],
        "Metadata": skips(NO_CACHE),
        "Properties": {
            "StageName": ref("Stage"),
            "AccessLogSetting": {"DestinationArn": get_att("ApiAccessLogs", "Arn"), "Format": ACCESS_LOG_FORMAT},
            "EndpointConfiguration": {"Type": "REGIONAL"},
            "TracingEnabled": True,
            # "3.0" stops SAM from adding its extra "Stage" stage beside ours.
            "OpenApiVersion": "3.0.1",
            # API Gateway escapes "/" as "~1" in binary media types, as `chalice package` does.
            "BinaryMediaTypes": [t.replace("/", "~1") for t in binary],
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*",
                                "ThrottlingBurstLimit": 500, "ThrottlingRateLimit": 200}],
            "GatewayResponses": gateway_responses(),
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "Gatehouse: the account service (one Lambda per flow, the shared layer, the table).",
        "Parameters": _parameters(stage),
        "Conditions": {"HasAllowedOrigins": {"Fn::Not": [{"Fn::Equals": [ref("AllowedOrigins"), ""]}]},
                       "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [ref("AlarmEmail"), ""]}]}},
        "Globals": {"Function": _function_globals(runtime, arch)},
        "Resources": resources,
        "Outputs": {
            "ApiUrl": {"Description": "The API's base URL (the stage's invoke URL)",
                       "Value": sub("https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/")},
            "TableName": {"Value": ref("Table")},
            "LayerArn": {"Value": ref("SharedLayer")},
            "CryptoLayerArn": {"Value": ref("CryptoLayer")},
        },
    }


# What API Gateway answers itself (no Lambda involved), in the contract's one error shape.
_GATEWAY_ERRORS = {
    # API Gateway's answer to a path or method no route has: 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", '"There is nothing at this address."'),
    "THROTTLED": (429, "rate_limited", '"Too many requests. Try again in a moment."'),
    "REQUEST_TOO_LARGE": (413, "body_too_large", '"The request body is too large."'),
    "DEFAULT_4XX": (None, "invalid_input", "$context.error.messageString"),
    "DEFAULT_5XX": (None, "service_unavailable", '"Gatehouse is unavailable. Try again in a moment."'),
}


def gateway_responses() -> Node:
    responses: Node = {}
    for kind, (status, code, message) in _GATEWAY_ERRORS.items():
        response: Node = {"ResponseTemplates": {
            "application/json": f'{{"error": {{"code": "{code}", "message": {message}, "details": {{}}}}}}'}}
        if status is not None:
            response["StatusCode"] = str(status)
        responses[kind] = response
    return responses


# One JSON line per request. The route's template (`resourcePath`), never the path itself: a path
# may carry a one-time token, and tokens never reach a log.
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTime", "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod", "route": "$context.resourcePath", "status": "$context.status",
    "bytes": "$context.responseLength", "latencyMs": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus", "error": "$context.error.responseType",
}, separators=(",", ":"))


def _access_log_resources() -> Node:
    return {
        "ApiAccessLogs": {
            "Type": "AWS::Logs::LogGroup",
            "Metadata": skips(LOGS_NOT_SECRET),
            "Properties": {"LogGroupName": sub("/aws/apigateway/gatehouse-${Stage}-access"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        },
        # API Gateway's own role for writing logs: one setting per account and region.
        "ApiGatewayLogsRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": "API Gateway: writes the access logs of this account's APIs",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "ManagedPolicyArns": [
                    sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": get_att("ApiGatewayLogsRole", "Arn")},
        },
    }


def _parameters(stage: str) -> Node:
    return {
        "Stage": {"Type": "String", "Default": stage, "AllowedPattern": "^[a-z][a-z0-9]{0,15}$",
                  "Description": "Stage name: API Gateway stage, resource names, GATEHOUSE_STAGE"},
        "PublicBaseUrl": {"Type": "String", "AllowedPattern": "^https://[^/]+$",
                          "Description": "Where users reach Gatehouse (links in emails, WebAuthn origin)"},
        "AllowedOrigins": {"Type": "String", "Default": "",
                           "Description": "Comma-separated origins allowed to send cookie requests "
                                          "(default: PublicBaseUrl)"},
        # No defaults: a deployed stage refuses to start on the local ones (gatehouse.settings).
        "MailFrom": {"Type": "String", "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
                     "Description": "The SES-verified sender of every email"},
        "Consoles": {"Type": "String", "AllowedPattern": "^\\[.*\\]$",
                     "Description": 'JSON list of the consoles: [{"id": "scaleway", "name": "Scaleway", '
                                    '"url": "https://..."}, ...]'},
        "AlarmEmail": {"Type": "String", "Default": "", "Description": "Who gets the alarms (optional)"},
        "SsoClientIds": {"Type": "String", "Default": "{}",
                         "Description": 'JSON {"google": "...", "microsoft": "...", "github": "..."}: the client ids '
                                        "registered with each SSO provider (absent ones are not offered)"},
    }


def _allowed_origins() -> Node:
    return {"Fn::If": ["HasAllowedOrigins", ref("AllowedOrigins"), ref("PublicBaseUrl")]}


def _function_globals(runtime: str, arch: str) -> Node:
    host = {"Fn::Select": [2, {"Fn::Split": ["/", ref("PublicBaseUrl")]}]}
    return {
        "Runtime": runtime,
        "Architectures": [arch],
        "Timeout": API_TIMEOUT,
        "MemorySize": MEMORY,
        "Tracing": "Active",
        "Environment": {"Variables": {
            "GATEHOUSE_STAGE": ref("Stage"),
            "GATEHOUSE_TABLE_NAME": ref("Table"),
            "GATEHOUSE_PUBLIC_BASE_URL": ref("PublicBaseUrl"),
            "GATEHOUSE_ALLOWED_ORIGINS": _allowed_origins(),
            "GATEHOUSE_MAIL_FROM": ref("MailFrom"),
            "GATEHOUSE_CONSOLES": ref("Consoles"),
            "GATEHOUSE_CONSOLE_SECRETS_ID": ref("ConsoleSecrets"),
            "GATEHOUSE_SSO_CLIENT_IDS": ref("SsoClientIds"),
            "GATEHOUSE_SSO_SECRETS_ID": ref("SsoSecrets"),
            "GATEHOUSE_KMS_KEY_ID": get_att("SecretsKey", "Arn"),
            "GATEHOUSE_DOCUMENTS_BUCKET": ref("DocumentsBucket"),
            "GATEHOUSE_WEBAUTHN_RP_ID": host,
            "GATEHOUSE_WEBAUTHN_ORIGIN": ref("PublicBaseUrl"),
            "POWERTOOLS_SERVICE_NAME": "gatehouse",
            "POWERTOOLS_METRICS_NAMESPACE": "Gatehouse",
        }},
    }


def _shared_resources(runtime: str, arch: str) -> Node:
    return {
        "SharedLayer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "LayerName": sub("gatehouse-${Stage}-shared"),
                "Description": "The gatehouse package and its dependencies",
                "ContentUri": LAYER_DIRS["shared"],
                "CompatibleRuntimes": [runtime],
                "CompatibleArchitectures": [arch],
                "RetentionPolicy": "Delete",
            },
        },
        "CryptoLayer": {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "LayerName": sub("gatehouse-${Stage}-crypto"),
                "Description": "WebAuthn and the cryptography stack, for the flows that use them only",
                "ContentUri": LAYER_DIRS["crypto"],
                "CompatibleRuntimes": [runtime],
                "CompatibleArchitectures": [arch],
                "RetentionPolicy": "Delete",
            },
        },
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Metadata": skips(TABLE_KEY),
            # The accounts live here: never deleted or replaced by a stack operation.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"}
                                         for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                "GlobalSecondaryIndexes": [{
                    "IndexName": "gsi1",
                    "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                                  {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                    "Projection": {"ProjectionType": "ALL"},
                }],
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "SSESpecification": {"SSEEnabled": True},
                "DeletionProtectionEnabled": True,
            },
        },
        "SecretsKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": "Gatehouse: envelope encryption of TOTP seeds",
                "EnableKeyRotation": True,
                # The account administers the key; use is granted per function by IAM.
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "AccountAdministers", "Effect": "Allow",
                    "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                    "Action": "kms:*", "Resource": "*",
                }]},
            },
        },
        "SecretsKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": sub("alias/gatehouse-${Stage}"), "TargetKeyId": ref("SecretsKey")},
        },
        "DocumentsBucket": {
            "Type": "AWS::S3::Bucket",
            "Metadata": skips(BUCKET_LOGS),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": [
                    {"Id": "IdentityDocuments", "Status": "Enabled", "Prefix": "recovery-requests/",
                     "ExpirationInDays": DOCUMENTS_MAX_DAYS,
                     "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
                    {"Id": "DeleteMarkers", "Status": "Enabled", "Prefix": "recovery-requests/",
                     "ExpiredObjectDeleteMarker": True},
                ]},
                # Browsers upload identity documents straight to S3 with presigned POSTs.
                "CorsConfiguration": {"CorsRules": [{
                    "AllowedMethods": ["POST", "PUT"], "AllowedHeaders": ["*"], "MaxAge": 3000,
                    "AllowedOrigins": {"Fn::Split": [",", _allowed_origins()]},
                }]},
            },
        },
        "DocumentsBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("DocumentsBucket"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [get_att("DocumentsBucket", "Arn"), sub("${DocumentsBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]},
            },
        },
        "ConsoleSecrets": {
            "Type": "AWS::SecretsManager::Secret",
            "Metadata": skips(SECRET_KEY),
            "Properties": {
                "Name": sub("gatehouse/${Stage}/console-secrets"),
                "Description": 'The consoles\' Basic auth secrets, as JSON {"scaleway": "...", "dedibox": "..."}',
                # A random value for the first console; operators add the others' with put-secret-value.
                "GenerateSecretString": {"SecretStringTemplate": "{}", "GenerateStringKey": "scaleway",
                                         "PasswordLength": 48, "ExcludePunctuation": True},
            },
        },
        "SsoSecrets": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": sub("gatehouse/${Stage}/sso-secrets"),
                "Description": 'The SSO client secrets, as JSON {"google": "...", "microsoft": "...", "github": "..."}',
                # Operators put the providers' secrets with put-secret-value; a placeholder until then.
                "GenerateSecretString": {"SecretStringTemplate": "{}", "GenerateStringKey": "placeholder",
                                         "PasswordLength": 32, "ExcludePunctuation": True},
            },
            "Metadata": skips(SECRET_KEY),
        },
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "KmsMasterKeyId": "alias/aws/sns",
                "Subscription": {"Fn::If": ["HasAlarmEmail",
                                            [{"Protocol": "email", "Endpoint": ref("AlarmEmail")}],
                                            ref("AWS::NoValue")]},
            },
        },
    }


_LAYER_RESOURCES = {"shared": "SharedLayer", "crypto": "CryptoLayer"}


def _function_resources(flow: Flow, grants: FlowPermissions) -> Node:
    base = logical_id(flow.name)
    function, role, logs = f"{base}Function", f"{base}Role", f"{base}Logs"
    events: Node = {}
    for route in flow.routes:
        events[_unique(events, "Api" + logical_id(route.method.lower(), route.path))] = {
            "Type": "Api",
            "Properties": {"RestApiId": ref("Api"), "Path": route.path, "Method": route.method.lower()},
        }
    for i, schedule in enumerate(flow.schedules):
        events[_unique(events, f"Schedule{i or ''}")] = {
            "Type": "Schedule", "Properties": {"Schedule": schedule, "Enabled": True},
        }
    properties: Node = {
        "FunctionName": function_name(flow.name),
        "Description": f"Gatehouse flow: {flow.name}",
        "CodeUri": f"functions/{flow.name}",
        "Handler": flow.handler,
        "Role": get_att(role, "Arn"),
        # Each function lists its own layers (none in Globals): the crypto layer goes to its flows only.
        "Layers": [ref(_LAYER_RESOURCES[name]) for name in flow_layers(flow.name)],
    }
    scheduled = bool(flow.schedules and not flow.routes)
    extra: Node = {}
    accepted = [NO_VPC, NO_RESERVED_CONCURRENCY, ENV_NOT_SECRET]
    dead_letters = f"{base}DeadLetters" if scheduled else None
    if scheduled:
        properties["Timeout"] = SCHEDULED_TIMEOUT
    if dead_letters:
        # A scheduled run that fails (after Lambda's two retries) is kept, and alarms.
        properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": get_att(dead_letters, "Arn")}
        extra.update(_dead_letter_resources(flow.name, dead_letters))
    else:
        accepted.append(SYNCHRONOUS)
    if events:
        properties["Events"] = events
    return {
        function: {"Type": "AWS::Serverless::Function", "DependsOn": [logs], "Metadata": skips(*accepted),
                   "Properties": properties},
        **extra,
        logs: {
            "Type": "AWS::Logs::LogGroup",
            "Metadata": skips(LOGS_NOT_SECRET),
            "Properties": {"LogGroupName": sub(f"/aws/lambda/gatehouse-${{Stage}}-{flow.name}"),
                           "RetentionInDays": LOG_RETENTION_DAYS},
        },
        role: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": f"Gatehouse {flow.name}: only what this flow calls",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "flow", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": _statements(flow.name, grants, dead_letters)}}],
            },
        },
        f"{base}Errors": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"Gatehouse {flow.name}: the function raised errors",
                "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": ref(function)}],
                "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
                "AlarmActions": [ref("AlarmTopic")],
            },
        },
    }


def _dead_letter_resources(flow: str, queue: str) -> Node:
    return {
        queue: {
            "Type": "AWS::SQS::Queue",
            "Metadata": skips(QUEUE_SSE),
            "Properties": {"QueueName": sub(f"gatehouse-${{Stage}}-{flow}-dead-letters"),
                           "MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True},
        },
        f"{queue}Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"Gatehouse {flow}: a scheduled run failed and is in its dead-letter queue",
                "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": get_att(queue, "QueueName")}],
                "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
                "AlarmActions": [ref("AlarmTopic")],
            },
        },
    }


def _statements(flow: str, grants: FlowPermissions, dead_letters: str | None = None) -> list[Node]:
    statements: list[Node] = [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:"
                         f"log-group:/aws/lambda/gatehouse-${{Stage}}-{flow}:*")},
        # X-Ray has no resource-level permissions.
        {"Sid": "Tracing", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
         "Resource": "*"},
    ]
    if bool(grants.keys) != bool(grants.table):
        raise ValueError(f"{flow}: table actions need the partition keys they apply to, and keys need actions")
    if grants.keys:
        # ForAllValues: every item of a request (each of a transaction's or a batch's) has a
        # partition key the flow uses; on a Query of gsi1 that is the index's partition key.
        statements.append({"Sid": "Table", "Effect": "Allow", "Action": list(grants.table),
                           "Resource": [get_att("Table", "Arn"), sub("${Table.Arn}/index/*")],
                           "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(grants.keys)}}})
    if grants.mail:
        statements.append({
            "Sid": "Mail", "Effect": "Allow", "Action": list(grants.mail),
            "Resource": [sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
                         sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:template/*")],
            # Only ever as the configured sender.
            "Condition": {"StringEquals": {"ses:FromAddress": ref("MailFrom")}},
        })
    if grants.sms:
        # Publishing to a phone number has no topic ARN to scope to; deny topics so it is SMS only.
        statements.append({"Sid": "Sms", "Effect": "Allow", "Action": "sns:Publish",
                           "NotResource": sub("arn:${AWS::Partition}:sns:*:*:*")})
    for use in grants.key:
        # KMS refuses a data key under another context, so a flow that opens TOTP seeds cannot
        # open the code HMAC key, and the other way round.
        statements.append({"Sid": "Key" + logical_id(use.purpose), "Effect": "Allow", "Action": list(use.actions),
                           "Resource": get_att("SecretsKey", "Arn"),
                           "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": use.purpose}}})
    if grants.documents:
        statements.append({"Sid": "Documents", "Effect": "Allow", "Action": list(grants.documents),
                           "Resource": sub("${DocumentsBucket.Arn}/*")})
    if dead_letters:
        statements.append({"Sid": "DeadLetters", "Effect": "Allow", "Action": "sqs:SendMessage",
                           "Resource": get_att(dead_letters, "Arn")})
    if grants.console_secrets:
        statements.append({"Sid": "ConsoleSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": ref("ConsoleSecrets")})
    if grants.sso_secrets:
        statements.append({"Sid": "SsoSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": ref("SsoSecrets")})
    return statements


def _unique(taken: Node, name: str) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    return candidate
