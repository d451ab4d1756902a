"""The botocore clients as deployed (no parameter validation, standard retries, DynamoDB's endpoint
fixed when the client is made) and as the tests make them (validating): issue #14's CPU per call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from gatehouse.adapters import aws, dynamodb
from gatehouse.errors import DependencyUnavailableError
from gatehouse.settings import Settings
from moto import mock_aws


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[dynamodb.Table]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-west-3"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        settings = Settings(aws_endpoint_url=None, table_name="clients")
        aws._client.cache_clear()
        dynamodb.create_table(settings)
        yield dynamodb.Table(settings)
    aws._client.cache_clear()


def _deployed(monkeypatch: pytest.MonkeyPatch, table: dynamodb.Table) -> dynamodb.Table:
    monkeypatch.setattr(aws, "PARAMETER_VALIDATION", False)
    aws._client.cache_clear()
    return dynamodb.Table(Settings(aws_endpoint_url=None, table_name=table.name))


def test_in_the_tests_a_malformed_parameter_our_code_builds_fails_at_once_naming_it(table: dynamodb.Table) -> None:
    with pytest.raises(ParamValidationError, match=r"Item\.pk\.S"):
        table.client.put_item(TableName=table.name, Item={"pk": {"S": 123}, "sk": {"S": "x"}})
    # Where moto is lenient (this key finds nothing on moto; DynamoDB refuses it), validation still catches it.
    with pytest.raises(ParamValidationError, match=r"Key\.pk\.S"):
        table.client.get_item(TableName=table.name, Key={"pk": {"S": 123}, "sk": {"S": "x"}})


def test_a_deployed_client_sends_a_malformed_request_and_gets_the_services_refusal_not_an_outage(
        monkeypatch: pytest.MonkeyPatch, table: dynamodb.Table) -> None:
    deployed = _deployed(monkeypatch, table)
    # No validation: botocore sends it, the service refuses it (a key without its sort key), and the
    # refusal stays a ClientError, which a route answers as a 500 in the contract's shape, never a 503.
    with pytest.raises(ClientError) as refused, aws.translated("DynamoDB"):
        deployed.client.get_item(TableName=deployed.name, Key={"pk": {"S": "a"}})
    assert not isinstance(refused.value, DependencyUnavailableError)
    assert aws.error_code(refused.value) == "ValidationException"


def test_a_deployed_dynamodb_client_resolves_its_endpoint_once_and_still_reaches_the_table(
        monkeypatch: pytest.MonkeyPatch, table: dynamodb.Table) -> None:
    deployed = _deployed(monkeypatch, table)
    assert getattr(deployed.client, "_ruleset_resolver", None) is None
    assert deployed.client.meta.endpoint_url == "https://dynamodb.eu-west-3.amazonaws.com"
    deployed.put({"pk": "p", "sk": "s", "n": 3})
    assert deployed.get("p", "s") == {"pk": "p", "sk": "s", "n": 3}
    assert deployed.client.meta.config.retries["mode"] == "standard"


def test_a_deployed_client_leaves_the_parameters_to_the_service(monkeypatch: pytest.MonkeyPatch,
                                                                 table: dynamodb.Table) -> None:
    deployed = _deployed(monkeypatch, table)
    # What validation refuses in the tests is sent as is, and refused by the service.
    with pytest.raises(ClientError) as refused:
        deployed.client.put_item(TableName=deployed.name, Item={"pk": {"S": 123}, "sk": {"S": "x"}})
    assert aws.error_code(refused.value) == "SerializationException"


def _signing(service: str, region: str, *, ours: bool) -> tuple[object, ...]:
    import botocore.session

    session = botocore.session.Session()
    if ours:
        loader = aws._NamedServicesLoader({service})
        session.register_component("data_loader", loader)
        session._register_internal_component("endpoint_resolver", aws._PartitionDefaultsResolver(loader))
    made = session.create_client(service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
    signer = made._request_signer
    return (made.meta.endpoint_url, made.meta.region_name, made.meta.partition, signer._signing_name,
            signer._region_name, signer._signature_version)


@pytest.mark.parametrize("service", ["dynamodb", "kms", "sns", "ses", "secretsmanager", "s3"])
def test_clients_made_without_parsing_endpoints_json_sign_and_address_as_botocores_own(service: str) -> None:
    # The partitions' defaults stand in for endpoints.json for the services we call (S3 falls back
    # to the whole file): the same URL, region, partition, signing name and signature, everywhere.
    for region in ("eu-west-3", "eu-central-1", "us-east-1", "ap-southeast-2", "eu-south-2", "cn-north-1",
                   "us-gov-west-1"):
        assert _signing(service, region, ours=True) == _signing(service, region, ours=False), region


def test_a_client_is_made_at_its_first_use_and_then_shared(table: dynamodb.Table) -> None:
    # A password login's container builds the mailer and the code pepper: their SES and KMS clients
    # (a service model and a client class each) must not be made at a cold start that never calls them.
    aws._client.cache_clear()
    settings = Settings(aws_endpoint_url=None, table_name=table.name)
    kms, again = aws.client("kms", settings), aws.client("kms", settings)
    assert aws._client.cache_info().currsize == 0
    assert kms.meta.service_model.service_name == "kms"
    assert aws._client.cache_info().currsize == 1 and again.meta is kms.meta
