"""The template's security settings that checkov asks for and the stack fixes (not skips).

Built in-process from the flows' discovery, without the layer: a few seconds.
`make checkov` scans the same template; these tests say what the fixes must be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.discover import Discovery, discover
from infra.template import build_template, logical_id

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def found() -> Discovery:
    return discover(REPO)


@pytest.fixture(scope="module")
def template(found: Discovery) -> dict[str, Any]:
    return build_template(list(found.flows), runtime="python3.12", arch="arm64", stage="dev",
                          ses_templates=found.ses_templates)


@pytest.fixture(scope="module")
def scheduled(found: Discovery) -> list[str]:
    return [f.name for f in found.flows if f.schedules and not f.routes]


def _statements(template: dict[str, Any], flow: str) -> list[dict[str, Any]]:
    role = template["Resources"][f"{logical_id(flow)}Role"]
    return [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_the_api_stage_writes_access_logs_without_paths(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    (api,) = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Api"]
    setting = api["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert resources["ApiAccessLogs"]["Type"] == "AWS::Logs::LogGroup"
    assert resources["ApiAccessLogs"]["Properties"]["RetentionInDays"] > 0
    fields = json.loads(setting["Format"])
    assert {"requestId", "status", "route"} <= fields.keys()
    # A path may carry a one-time token: the route's template is logged, the path never.
    assert "$context.path" not in setting["Format"] and fields["route"] == "$context.resourcePath"
    assert resources["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}


def test_each_scheduled_function_has_a_dead_letter_queue_it_may_send_to(
    template: dict[str, Any], scheduled: list[str],
) -> None:
    resources = template["Resources"]
    assert scheduled, "no scheduled function"
    for flow in scheduled:
        function = resources[f"{logical_id(flow)}Function"]["Properties"]
        queue = function["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
        assert function["DeadLetterQueue"]["Type"] == "SQS" and resources[queue]["Type"] == "AWS::SQS::Queue"
        assert resources[queue]["Properties"]["SqsManagedSseEnabled"] is True
        sends = [s for s in _statements(template, flow) if s["Action"] == "sqs:SendMessage"]
        assert [s["Resource"] for s in sends] == [{"Fn::GetAtt": [queue, "Arn"]}]
        alarms = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
                  and r["Properties"]["Namespace"] == "AWS/SQS"
                  and r["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue, "QueueName"]}]
        assert len(alarms) == 1, f"{flow}: a failed run must alarm"
    # Queues exist only for the scheduled functions; nobody else may send to them.
    queues = [n for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"]
    assert len(queues) == len(scheduled)
    others = [f for f in (n[:-len("Role")] for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"
                          and n.endswith("Role") and n != "ApiGatewayLogsRole")
              if f not in {logical_id(s) for s in scheduled}]
    for base in others:
        statements = resources[f"{base}Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        assert not any(s["Action"] == "sqs:SendMessage" for s in statements), base


def test_every_accepted_checkov_finding_says_why(template: dict[str, Any]) -> None:
    skipped = [(name, skip) for name, r in template["Resources"].items()
               for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", [])]
    assert skipped
    for name, skip in skipped:
        assert skip["id"].startswith("CKV_") and len(skip["comment"]) > 20, (name, skip)
    # Access logs and dead-letter queues are fixed, never skipped.
    assert not any(skip["id"] == "CKV_AWS_76" for _, skip in skipped)
    dlq_skips = {name for name, skip in skipped if skip["id"] == "CKV_AWS_116"}
    assert dlq_skips and all(template["Resources"][n]["Properties"].get("Events", {}) and all(
        e["Type"] == "Api" for e in template["Resources"][n]["Properties"]["Events"].values()) for n in dlq_skips)


# --- a deployed stack starts: its functions' environment passes the settings' deployed-stage check ----

PARAMETERS = {
    "Stage": "prod", "PublicBaseUrl": "https://accounts.example.net", "AllowedOrigins": "",
    "MailFrom": "no-reply@accounts.example.net", "AlarmEmail": "",
    "Consoles": json.dumps([{"id": "scaleway", "name": "Scaleway", "url": "https://console.example.net"}]),
    "SsoClientIds": json.dumps({"google": "google-client-id", "github": "github-client-id"}),
}


def resolve(node: Any, template: dict[str, Any]) -> Any:
    """The few intrinsics the functions' environment uses, as CloudFormation would evaluate them."""
    if not isinstance(node, dict):
        return node
    ((kind, value),) = node.items()
    if kind == "Ref":
        if value in PARAMETERS:
            return PARAMETERS[value]
        assert value in template["Resources"], value
        return f"prod-{value.lower()}-physical-id"
    if kind == "Fn::GetAtt":
        return f"arn:aws:{value[0].lower()}:eu-west-3:123456789012:{value[1].lower()}/generated"
    if kind == "Fn::If":
        name, yes, no = value
        (condition,) = [template["Conditions"][name]]
        return resolve(yes if _condition(condition, template) else no, template)
    if kind == "Fn::Select":
        return resolve(value[1], template)[value[0]]
    if kind == "Fn::Split":
        return resolve(value[1], template).split(value[0])
    raise AssertionError(f"unresolved intrinsic {kind}")


def _condition(node: dict[str, Any], template: dict[str, Any]) -> bool:
    ((kind, value),) = node.items()
    if kind == "Fn::Not":
        return not _condition(value[0], template)
    assert kind == "Fn::Equals"
    return bool(resolve(value[0], template) == resolve(value[1], template))


def test_a_deployed_stack_passes_real_values_for_every_setting_a_stage_needs(template: dict[str, Any]) -> None:
    from gatehouse.settings import Settings, load, local_defaults

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    env = {name: resolve(value, template) for name, value in variables.items()}
    settings = load(env)  # raises SettingsError on any local default
    assert settings.stage == "prod" and settings.mail_from == PARAMETERS["MailFrom"]
    assert settings.webauthn_rp_id == "accounts.example.net"
    assert settings.allowed_origins == ("https://accounts.example.net",)
    # Every setting the check looks at is passed by the template, none left to a default.
    checked = {variable for _, variable, _ in local_defaults(Settings(stage="prod", console_secrets_id=None))}
    assert checked <= env.keys()
    # And the parameters that feed them have no default to forget.
    for parameter in ("MailFrom", "Consoles", "PublicBaseUrl"):
        assert "Default" not in template["Parameters"][parameter], parameter
