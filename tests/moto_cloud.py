"""A local AWS for the tests: moto in server mode on 127.0.0.1, and a stack deployer.

moto (pinned in pyproject.toml) stands in for AWS, with three gaps closed here, in the
tests only, so the exported templates stay valid for real CloudFormation:
- its CloudFormation knows no AWS::Cognito::UserPool and no AWS::SecretsManager::Secret:
  the two models below create them through moto's own Cognito and Secrets Manager;
- a stack whose SSM-typed parameter names a missing parameter gets HTTP 500 instead of
  CloudFormation's ValidationError: `Cloud.deploy` reports it as CloudFormation would;
- it ignores AWS::SQS::QueuePolicy: tests assert the policy in the template instead;
- it builds the event a rule delivers by pasting text into a JSON template, so a
  detail-type with a quote breaks it: without an input transformer the shim delivers the
  event itself, as EventBridge does.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from moto.cloudformation import parsing
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.events.utils import EventTemplateParser
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import ThreadedMotoServer

REGION = "us-east-1"


class _UserPool(CloudFormationModel):
    """AWS::Cognito::UserPool for moto's CloudFormation, backed by moto's Cognito."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "UserPoolId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return str(self.pool.arn if attribute_name == "Arn" else self.pool.id)

    @property
    def physical_resource_id(self) -> str:
        return str(self.pool.id)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _UserPool:
        pool = cognitoidp_backends[account_id][region_name].create_user_pool(resource_name, {})
        return cls(pool)


class _Secret(CloudFormationModel):
    """AWS::SecretsManager::Secret for moto's CloudFormation, backed by moto's Secrets Manager."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @property
    def physical_resource_id(self) -> str:
        return self.arn  # Ref on a secret is its ARN

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _Secret:
        backend = secretsmanager_backends[account_id][region_name]
        created = backend.create_secret(
            name=resource_name,
            secret_string="generated",
            secret_binary=None,
            description=None,
            tags=None,
            kms_key_id=None,
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return cls(json.loads(created)["ARN"] if isinstance(created, str) else created["ARN"])


_moto_event_parse = EventTemplateParser.parse


def _delivered_event(input_template: str, input_paths_map: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    if input_template or input_paths_map:
        return _moto_event_parse(input_template, input_paths_map, event)  # type: ignore[no-any-return]
    fields = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
    return {name: event[name] for name in fields if name in event}


EventTemplateParser.parse = staticmethod(_delivered_event)  # type: ignore[method-assign]

for _cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
    _cache.cache_clear()  # moto lists CloudFormation models once; list ours too


class DeployError(Exception):
    """A stack that did not deploy, with CloudFormation's reason."""


class Cloud:
    """boto3 clients on the local moto server, and a deployer that waits for nothing."""

    def __init__(self, url: str) -> None:
        self.url = url

        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        self.cloudformation, self.ssm = client("cloudformation"), client("ssm")
        self.events, self.sqs = client("events"), client("sqs")

    def reset(self) -> None:
        """An empty account."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request) as response:  # loopback only
            response.read()

    def deploy(self, stack: str, template: Path, stage: str = "dev") -> dict[str, Any]:
        """Create a stack; returns its description, or raises DeployError."""
        body = template.read_text(encoding="utf-8")
        missing = self.missing_ssm_parameters(yaml.safe_load(body))
        try:
            self.cloudformation.create_stack(
                StackName=stack, TemplateBody=body, Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}]
            )
        except (ClientError, BotoCoreError, ResponseParserError) as error:
            if missing:  # CloudFormation's own answer, which moto gives as HTTP 500
                raise DeployError(f"Parameters [{', '.join(missing)}] do not exist in SSM") from error
            raise DeployError(str(error)) from error
        description: dict[str, Any] = self.cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        if description["StackStatus"] != "CREATE_COMPLETE":
            raise DeployError(f"{stack}: {description['StackStatus']} {description.get('StackStatusReason', '')}")
        return description

    def missing_ssm_parameters(self, template: dict[str, Any]) -> list[str]:
        wanted = [
            spec["Default"]
            for spec in template.get("Parameters", {}).values()
            if spec["Type"].startswith("AWS::SSM::Parameter::Value")
        ]
        if not wanted:
            return []
        found = set()
        for start in range(0, len(wanted), 10):  # GetParameters takes ten names at a time
            found |= {item["Name"] for item in self.ssm.get_parameters(Names=wanted[start : start + 10])["Parameters"]}
        return [name for name in wanted if name not in found]

    def ssm_value(self, name: str) -> str:
        return str(self.ssm.get_parameter(Name=name)["Parameter"]["Value"])

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        """Every message now in a queue (removed from it)."""
        messages = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="session")
def cloud() -> Iterator[Cloud]:
    """moto on a random port of 127.0.0.1, for the whole test session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield Cloud(f"http://{host}:{port}")
    finally:
        server.stop()
