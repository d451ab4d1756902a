"""`make package`: the SAM template, the per-flow artifacts and the shared layer.

One build (the real CLI, default runtime and architecture) is shared by the whole module. The
artifacts are then run the way Lambda runs them: each function's directory with only the layer and
what the runtime provides (boto3) on `sys.path`, in an isolated interpreter, against a moto server.
This machine may not be arm64, so that run uses a second layer built for the host by the same code.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import permissions
from infra.build import build
from infra.discover import flow_names
from infra.layer import (
    CRYPTO_FLOWS,
    LAYER_DIRS,
    LAYERS,
    RUNTIME_ALSO_PROVIDES,
    RUNTIME_PROVIDED,
    build_layers,
    compiles_for,
    flow_layers,
)
from tests.bench.run import zipped_size
from tests.support.deployed import DEPLOYED_ENV

REPO = Path(__file__).resolve().parents[2]
RUNTIME = "python3.12"
ARCH = "arm64"
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
HOST_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
# What the Lambda Python runtime puts on sys.path besides the function and its layers.
RUNTIME_MODULES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Stack:
    out: Path
    template: dict[str, Any]
    manifest: dict[str, Any]

    def functions(self) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}

    def function_of(self, flow: str) -> dict[str, Any]:
        return next(r for r in self.functions().values() if r["Properties"]["CodeUri"] == f"functions/{flow}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    out = tmp_path_factory.mktemp("package") / "build"
    # The command `make package` runs, with its defaults: that is what ships.
    done = subprocess.run([sys.executable, "-m", "infra.build", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    template = yaml.safe_load((out / "template.yaml").read_text())
    return Stack(out, template, json.loads((out / "manifest.json").read_text()))


@pytest.fixture(scope="module")
def host_layers(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The layers as this machine can import them (compiled wheels for its CPU and Python), built the same way."""
    if (HOST_ARCH, HOST_RUNTIME) == (ARCH, RUNTIME):
        return {name: stack.out / LAYER_DIRS[name] / "python" for name in LAYERS}
    root = tmp_path_factory.mktemp("host-layers")
    built = build_layers(REPO, {name: root / LAYER_DIRS[name] for name in LAYERS}, runtime=HOST_RUNTIME,
                         arch=HOST_ARCH)
    return {name: path / "python" for name, path in built.items()}


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for the runtime's own site-packages: boto3 and its dependencies, nothing else."""
    root = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, f"{name} is not installed in the test environment"
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (root / source.name).symlink_to(source)
    return root


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


# 1. The template is valid CloudFormation (after the SAM transform).

def test_template_passes_cfn_lint(stack: Stack) -> None:
    done = subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
                           str(stack.out / "template.yaml")], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# 2. The functions together serve exactly the routes of the single local app.

def _app_routes() -> set[tuple[str, str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "layers/shared/python")]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    code = "import json, app; from infra.discover import chalice_routes; print(json.dumps(chalice_routes(app.app)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return {(path, method) for path, method in json.loads(done.stdout.strip().splitlines()[-1])}


def test_every_route_is_served_by_exactly_one_function(stack: Stack) -> None:
    served: dict[tuple[str, str], list[str]] = {}
    for name, function in stack.functions().items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                route = (event["Properties"]["Path"], event["Properties"]["Method"].upper())
                served.setdefault(route, []).append(name)
    expected = _app_routes()
    assert expected, "app.py serves no route"
    assert {r: fs for r, fs in served.items() if len(fs) > 1} == {}
    assert sorted(expected - served.keys()) == [], "routes of app.py that no function serves"
    assert sorted(served.keys() - expected) == [], "routes of the template that app.py lacks"


def test_each_function_serves_only_its_own_blueprint(stack: Stack) -> None:
    flows = flow_names(REPO)
    assert sorted(f["name"] for f in stack.manifest["functions"]) == flows
    for flow in stack.manifest["functions"]:
        assert flow["foreign_routes"] == []
        events = stack.function_of(flow["name"])["Properties"].get("Events", {}).values()
        template_routes = {(e["Properties"]["Path"], e["Properties"]["Method"].upper()) for e in events
                           if e["Type"] == "Api"}
        assert template_routes == {(r["path"], r["method"]) for r in flow["routes"]}
        assert flow["routes"] or flow["schedules"], f"{flow['name']} is neither routed nor scheduled"
        # The artifact holds the namespace file and this flow's package: no other flow's code.
        artifact = stack.out / "functions" / flow["name"] / "functions"
        assert sorted(p.name for p in artifact.iterdir() if p.name != "__pycache__") == ["__init__.py", flow["name"]]


# 3. Each artifact, with only the layer and the runtime's boto3 beside it, serves API Gateway events.

_CHILD = r'''
import importlib, json, re, sys
args = json.loads(sys.argv[1])
sys.path[:0] = args["path"]

from gatehouse.adapters.dynamodb import create_table
from gatehouse.settings import load

create_table(load())
module_name, attribute = args["handler"].rsplit(".", 1)
before = set(sys.modules)
handler = getattr(importlib.import_module(module_name), attribute)
cold_start = sorted(set(sys.modules) - before)
answers = []
for path, method in args["routes"]:
    concrete = re.sub(r"\{[^}]+\}", "probe", path)
    params = {name.rstrip("+"): "probe" for name in re.findall(r"\{([^}]+)\}", path)} or None
    headers = {"Host": "api.example.test", "User-Agent": "package-test", "Accept": "application/json"}
    body = None
    if method in ("POST", "PUT", "PATCH"):
        headers["Content-Type"] = "application/json"
        body = "{}"
    event = {
        "resource": path, "path": concrete, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": params, "stageVariables": None, "body": body, "isBase64Encoded": False,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": "/dev" + concrete,
                           "stage": "dev", "requestId": "req-" + str(len(answers)), "accountId": "123456789012",
                           "apiId": "api", "identity": {"sourceIp": "203.0.113.7", "userAgent": "package-test"}},
    }
    answers.append({"path": path, "method": method, "response": handler(event, None)})
scheduled = None
if not args["routes"]:
    # A scheduled function: run it once as EventBridge would, on an empty table.
    scheduled = handler({"version": "0", "id": "probe", "detail-type": "Scheduled Event", "source": "aws.events",
                         "account": "123456789012", "time": "2025-11-01T00:00:00Z", "region": "eu-west-3",
                         "resources": [], "detail": {}}, None)
# What the function's views build (their container parts): whatever module that needs is importable
# from this function's own layers, and the test can see whether it reached WebAuthn or the KMS vault.
from gatehouse.bootstrap import container
for part in args["parts"]:
    getattr(container(), part)
# The password hashes run in every function's layers: argon2's binding needs `_cffi_backend` only.
from argon2 import PasswordHasher
import bcrypt
hashed = PasswordHasher(memory_cost=1024, time_cost=1).hash("probe")
checks = {"argon2": PasswordHasher().verify(hashed, "probe"),
          "bcrypt": bcrypt.checkpw(b"probe", bcrypt.hashpw(b"probe", bcrypt.gensalt(4)))}
if args["crypto"]:
    # The crypto layer's users: a WebAuthn ceremony's options and an AES-GCM seal, as the flows make them.
    import webauthn
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from webauthn.helpers.structs import PublicKeyCredentialCreationOptions
    options = webauthn.generate_registration_options(rp_id="example.test", rp_name="probe", user_name="probe")
    checks["webauthn"] = isinstance(options, PublicKeyCredentialCreationOptions)
    key = AESGCM.generate_key(bit_length=256)
    checks["aesgcm"] = AESGCM(key).decrypt(b"n" * 12, AESGCM(key).encrypt(b"n" * 12, b"seed", b""), b"") == b"seed"
importable = {}
for name in ("cffi", "pycparser", "cryptography", "webauthn", "OpenSSL", "cbor2", "pyasn1"):
    try:
        importlib.import_module(name)
        importable[name] = True
    except ImportError:
        importable[name] = False
modules = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
with open(args["out"], "w") as fh:
    json.dump({"callable": callable(handler), "answers": answers, "scheduled": scheduled, "modules": modules,
               "cold_start": cold_start, "checks": checks, "importable": importable}, fh, default=str)
'''


def _json_body(response: dict[str, Any]) -> Any:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    if not headers.get("content-type", "").startswith("application/json"):
        return None
    return json.loads(response["body"])


# The modules through which a flow reaches the crypto layer (PyJWT: single sign-on's ID tokens).
_CRYPTO_USERS = {"gatehouse.strategies.webauthn", "gatehouse.adapters.kms", "gatehouse.strategies.oidc", "jwt"}


def _container_parts(flow: str) -> list[str]:
    """The container parts a flow's code asks for (`container().<part>`)."""
    code = "\n".join(p.read_text() for p in (REPO / "functions" / flow).glob("*.py"))
    return sorted(set(re.findall(r"container\(\)\.([a-z_]+)", code)))


@pytest.mark.parametrize("flow", flow_names(REPO))
def test_function_artifact_serves_requests_with_only_its_own_layers(
    flow: str, stack: Stack, host_layers: dict[str, Path], runtime_dir: Path, moto_url: str, tmp_path: Path,
) -> None:
    entry = next(f for f in stack.manifest["functions"] if f["name"] == flow)
    assert entry["layers"] == list(flow_layers(flow))
    function_dir = stack.out / "functions" / flow
    layer_dirs = [host_layers[name] for name in entry["layers"]]
    host_layer = host_layers["shared"]
    script, out = tmp_path / "invoke.py", tmp_path / "answers.json"
    script.write_text(_CHILD)
    args = {"path": [str(function_dir), *map(str, layer_dirs), str(runtime_dir)], "handler": entry["handler"],
            "routes": [(r["path"], r["method"]) for r in entry["routes"]], "out": str(out),
            "parts": _container_parts(flow), "crypto": "crypto" in entry["layers"]}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
        "AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "GATEHOUSE_STAGE": "dev", "GATEHOUSE_TABLE_NAME": f"package-{uuid.uuid4().hex[:8]}",
        "GATEHOUSE_AWS_ENDPOINT_URL": moto_url,
        # What the template passes a deployed stage (it refuses local defaults).
        **DEPLOYED_ENV, "GATEHOUSE_KMS_KEY_ID": "arn:aws:kms:eu-west-3:123456789012:key/package-test",
        "GATEHOUSE_DOCUMENTS_BUCKET": "package-documents",
    }
    # -I -S: no site-packages, no PYTHONPATH, no user site: sys.path is the stdlib plus what we add.
    done = subprocess.run([sys.executable, "-I", "-S", str(script), json.dumps(args)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(out.read_text())
    assert result["callable"]

    # Everything came from the artifact, the layer or the runtime: nothing from the build's venv.
    stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    allowed = (str(function_dir), *map(str, layer_dirs), str(runtime_dir), *stdlib, str(script))
    strays = {n: f for n, f in result["modules"].items() if f and not f.startswith(allowed)}
    assert strays == {}
    assert result["modules"]["gatehouse"].startswith(str(host_layer))
    assert result["modules"][f"functions.{flow}"].startswith(str(function_dir))

    json_answers = page_answers = 0
    for answer in result["answers"]:
        response, where = answer["response"], f"{answer['method']} {answer['path']}"
        assert response["statusCode"] < 500, f"{where}: {response}"
        body = _json_body(response)
        if body is None:
            # The sso routes are browser navigations: a redirect, or a page saying what happened.
            headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
            page_answers += headers.get("content-type", "").startswith("text/html")
            continue
        json_answers += 1
        if response["statusCode"] >= 400:
            assert set(body["error"]) >= {"code", "message"}, f"{where}: {body}"
        if answer["path"] == "/health":
            assert (response["statusCode"], body) == (200, {"status": "ok"})
        if answer["path"] == "/openapi.json":
            # The deployed ops function holds only ops, yet describes the whole API: the build's document.
            assert response["statusCode"] == 200
            described = {(path, method.upper()) for path, ops in body["paths"].items() for method in ops}
            assert sorted(_app_routes() - described) == [], "routes of app.py the deployed document lacks"
    if entry["routes"]:
        assert json_answers or (flow == "sso" and page_answers), f"no route of {flow} answered with a JSON body"

    # The build tools are not in the layer, and the password hashes work without them.
    assert result["importable"]["cffi"] is False and result["importable"]["pycparser"] is False
    assert result["checks"]["argon2"] and result["checks"]["bcrypt"]
    crypto = "crypto" in entry["layers"]
    for name in ("cryptography", "webauthn", "OpenSSL", "cbor2", "pyasn1"):
        assert result["importable"][name] is crypto, name
    if crypto:
        assert result["checks"]["webauthn"] and result["checks"]["aesgcm"]
        # ...and the flow does reach it: no function carries the crypto layer for nothing.
        assert _CRYPTO_USERS & set(result["modules"]), flow
    else:
        assert _CRYPTO_USERS & set(result["modules"]) == set(), flow
    # No cold start imports pyOpenSSL or cryptography (botocore would, with pyOpenSSL beside it).
    assert not [m for m in result["cold_start"] if m.split(".")[0] in ("OpenSSL", "cryptography", "webauthn")]


# 4. The layer and the template's defaults.

def test_layer_is_built_for_the_runtime(stack: Stack) -> None:
    layer = stack.out / "layer" / "python"
    assert (layer / "gatehouse" / "api" / "routing.py").is_file()
    names = {p.name.split("-")[0].lower() for p in layer.iterdir()}
    assert names & RUNTIME_PROVIDED == set(), "the runtime provides boto3; the layer must not ship it"
    assert names & {n.replace("-", "_") for n in RUNTIME_ALSO_PROVIDES} == set(), "the runtime provides jmespath"
    assert not any(layer.rglob("tests")) and not (layer / "bin").exists()
    extensions = [p.name for p in layer.rglob("*.so")]
    assert extensions, "no compiled extension at all: the dependencies are missing"
    assert all("x86_64" not in name for name in extensions), "an x86_64 extension in an arm64 layer"
    if not compiles_for(RUNTIME):
        pytest.skip(f"this Python is not {RUNTIME}: the build rightly writes no .pyc")
    assert stack.manifest["pyc"]
    for package in ("gatehouse", "pydantic", "chalice"):
        assert any((layer / package).rglob("*.cpython-312.pyc")), package


def test_the_shared_layer_is_under_6_mib_zipped_and_holds_nothing_never_imported(stack: Stack) -> None:
    shared, crypto = (stack.out / LAYER_DIRS[name] / "python" for name in ("shared", "crypto"))
    assert zipped_size(shared.parent) < 6 * 2**20
    names = {p.name.split(".")[0].lower() for p in shared.iterdir() if not p.name.endswith(".dist-info")}
    assert names & {"cffi", "pycparser", "jmespath", "cryptography", "webauthn", "openssl", "cbor2", "pyasn1"} == set()
    assert (shared / "argon2").is_dir() and any(shared.glob("_cffi_backend*"))
    assert not (shared / "aws_lambda_powertools" / "event_handler").exists()
    assert not any(shared.rglob("*.pyi")) and not any(crypto.rglob("*.pyi"))
    assert {p.name.split("-")[0].lower() for p in crypto.iterdir() if p.is_dir()} >= {
        "cryptography", "webauthn", "openssl", "cbor2", "pyasn1", "pyasn1_modules"}


def test_only_the_flows_that_use_webauthn_or_the_kms_vault_load_the_crypto_layer(stack: Stack) -> None:
    resources = stack.template["Resources"]
    assert "Layers" not in stack.template["Globals"]["Function"]
    with_crypto = set()
    for flow in flow_names(REPO):
        layers = [layer["Ref"] for layer in stack.function_of(flow)["Properties"]["Layers"]]
        assert layers[0] == "SharedLayer" and all(resources[name]["Type"] == "AWS::Serverless::LayerVersion"
                                                  for name in layers)
        if "CryptoLayer" in layers:
            with_crypto.add(flow)
    assert with_crypto == set(flow_names(REPO)) & CRYPTO_FLOWS
    assert with_crypto - {"sso"} == {"login", "mfa_manage", "mfa_verify", "unifier"}


def test_template_defaults_and_table(stack: Stack) -> None:
    template = stack.template
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    globals_ = template["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"]) == ("python3.12", ["arm64"])
    layers = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::LayerVersion"]
    assert len(layers) == 2 and all(r["Properties"]["CompatibleArchitectures"] == ["arm64"] for r in layers)
    tables = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 1
    table = tables[0]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "gsi1" and gsi["Projection"] == {"ProjectionType": "ALL"}
    assert [k["AttributeName"] for k in gsi["KeySchema"]] == ["gsi1pk", "gsi1sk"]
    assert "ApiUrl" in template["Outputs"]


def test_the_unification_mail_templates_are_named_per_stage(stack: Stack) -> None:
    names = sorted(r["Properties"]["Template"]["TemplateName"]["Fn::Sub"]
                   for r in stack.template["Resources"].values() if r["Type"] == "AWS::SES::Template")
    assert names == [f"gatehouse-${{Stage}}-unification_{kind}-{locale}"
                     for kind in ("announce", "complete") for locale in ("en", "fr")]


def test_api_gateway_answers_an_unknown_path_with_the_contracts_404(stack: Stack) -> None:
    (api,) = [r for r in stack.template["Resources"].values() if r["Type"] == "AWS::Serverless::Api"]
    responses = api["Properties"]["GatewayResponses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["StatusCode"] == "404"
    assert json.loads(missing["ResponseTemplates"]["application/json"]) == {
        "error": {"code": "not_found", "message": "There is nothing at this address.", "details": {}}}
    for kind in ("THROTTLED", "REQUEST_TOO_LARGE", "DEFAULT_5XX"):
        assert json.loads(responses[kind]["ResponseTemplates"]["application/json"])["error"]["code"]


def _actions(role: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            action = statement["Action"]
            found.update([action] if isinstance(action, str) else action)
    return found


def test_each_function_has_its_own_least_privilege_role(stack: Stack) -> None:
    resources = stack.template["Resources"]
    roles: list[str] = []
    for flow in flow_names(REPO):
        role_name = stack.function_of(flow)["Properties"]["Role"]["Fn::GetAtt"][0]
        roles.append(role_name)
        actions = _actions(resources[role_name])
        grants = permissions.FLOWS[flow]
        assert not any(a == "*" or a.endswith(":*") for a in actions), (flow, actions)
        assert ("sns:Publish" in actions) == grants.sms
        assert bool(actions & {"ses:SendEmail", "ses:SendBulkTemplatedEmail"}) == bool(grants.mail)
        assert {a for a in actions if a.startswith("kms:")} == {a for use in grants.key for a in use.actions}
        assert {a for a in actions if a.startswith("s3:")} == set(grants.documents)
        assert ("secretsmanager:GetSecretValue" in actions) == (grants.console_secrets or grants.sso_secrets)
        readable = {st["Resource"]["Ref"] for p in resources[role_name]["Properties"]["Policies"]
                    for st in p["PolicyDocument"]["Statement"] if st["Action"] == "secretsmanager:GetSecretValue"}
        assert readable == ({"ConsoleSecrets"} if grants.console_secrets else set()) | (
            {"SsoSecrets"} if grants.sso_secrets else set()), flow
        assert {a for a in actions if a.startswith("dynamodb:")} == set(grants.table)
    assert len(set(roles)) == len(roles), "two functions share a role"
    # The grants that matter most go to few flows only.
    # settings: the phone's verification code; support: the hold's announcement.
    assert [f for f, g in permissions.FLOWS.items() if g.sms] == ["reset_sms", "settings", "support"]
    assert {f: g.documents for f, g in permissions.FLOWS.items() if g.documents} == {
        "support": ("s3:PutObject", "s3:GetObject"), "recovery_hold": ("s3:DeleteObject",)}


def test_identity_documents_expire_and_the_recovery_hold_runs_on_a_schedule(stack: Stack) -> None:
    bucket = stack.template["Resources"]["DocumentsBucket"]["Properties"]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    documents = rules["IdentityDocuments"]
    assert documents["Status"] == "Enabled" and documents["Prefix"] == "recovery-requests/"
    # The application's deletions leave noncurrent versions (the bucket is versioned): they go too.
    assert documents["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert 30 < documents["ExpirationInDays"] <= 180
    assert rules["DeleteMarkers"]["ExpiredObjectDeleteMarker"] is True
    hold = stack.function_of("recovery_hold")["Properties"]
    assert [e["Type"] for e in hold["Events"].values()] == ["Schedule"]
    assert hold["Handler"] == "functions.recovery_hold.lambda_function.handler"


def test_a_second_build_is_incremental(stack: Stack, tmp_path: Path) -> None:
    started = time.monotonic()
    manifest = build(tmp_path / "again")  # the dependency cache is warm from the module's build
    assert time.monotonic() - started < 30
    assert [f["name"] for f in manifest["functions"]] == [f["name"] for f in stack.manifest["functions"]]
