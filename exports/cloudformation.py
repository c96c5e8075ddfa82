"""Deployable CloudFormation: the platform stack, one stack per service, standalone variants.

The platform creates the bus and every platform-owned resource and publishes each port
value as an SSM parameter at `/<app>/<stage>/ports/<id>/<attribute>`. A service stack
reads the ports it needs through SSM-typed parameters, creates what it owns (publishing
those ports the same way) and owns its subscriptions: an inbox queue with a dead-letter
queue, a queue policy that lets only its own rules send, and one rule per producer.
A standalone stack binds every port to a private resource instead, so it deploys alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exports.context import ExportContext, identifier
from exports.yamltext import dump_yaml
from model.derive import Service
from model.ports import ATTRIBUTES, STAGE_PLACEHOLDER
from model.session import EVENT_BUS, PLATFORM, ResourceKind

Template = dict[str, Any]


@dataclass(frozen=True)
class _Kind:
    """How one kind of resource is created and where each port attribute comes from."""

    type: str
    name_property: str | None
    attributes: dict[str, Any]  # attribute -> "Ref" or the GetAtt attribute name
    properties: dict[str, Any]
    stateful: bool


_KINDS: dict[ResourceKind, _Kind] = {
    "event-bus": _Kind("AWS::Events::EventBus", "Name", {"arn": "Arn", "name": "Name"}, {}, False),
    "user-pool": _Kind("AWS::Cognito::UserPool", "UserPoolName", {"arn": "Arn", "id": "Ref"}, {}, True),
    "bucket": _Kind("AWS::S3::Bucket", None, {"arn": "Arn", "name": "Ref"}, {}, True),
    "table": _Kind(
        "AWS::DynamoDB::Table",
        "TableName",
        {"arn": "Arn", "name": "Ref"},
        {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        },
        True,
    ),
    "queue": _Kind("AWS::SQS::Queue", None, {"arn": "Arn", "url": "Ref"}, {}, False),
    "topic": _Kind("AWS::SNS::Topic", "TopicName", {"arn": "Ref"}, {}, False),
    "secret": _Kind("AWS::SecretsManager::Secret", "Name", {"arn": "Ref"}, {"GenerateSecretString": {}}, True),
}
assert all(tuple(kind.attributes) == ATTRIBUTES[name] for name, kind in _KINDS.items())

_MAX_RECEIVES = 5
"""Deliveries of one message before the inbox moves it to its dead-letter queue."""


def render_cloudformation(context: ExportContext) -> dict[str, str]:
    files = {"cloudformation/platform.yaml": _text(platform_template(context))}
    for service in context.architecture.services:
        if service.id != PLATFORM:
            files[f"cloudformation/{service.id}.yaml"] = _text(service_template(context, service))
            files[f"cloudformation/standalone/{service.id}.yaml"] = _text(standalone_template(context, service))
    return files


def stack_name(context: ExportContext, service_id: str, standalone: bool = False) -> str:
    """The stack name the templates are written for (the README of a deploy uses it)."""
    suffix = "-standalone" if standalone else ""
    return f"{context.session.app}-{context.stage}-{service_id}{suffix}"


def literal(text: str) -> Any:
    """User text as a value CloudFormation (and Serverless) will not interpret.

    `{{resolve:...}}` is a dynamic reference anywhere in a template and `${...}` a variable
    in serverless.yml: such text is split so neither opener appears, then joined back.
    """
    if "{{" not in text and "${" not in text:
        return text
    pieces = text.replace("{{", "{\0{").replace("${", "$\0{").split("\0")
    return {"Fn::Join": ["", pieces]}


# ---------------------------------------------------------------- templates


def platform_template(context: ExportContext) -> Template:
    app = context.session.app
    template = _skeleton(context, f"{app} platform: the event bus, the shared infrastructure and their ports")
    resources: dict[str, Any] = template["Resources"]
    names: set[str] = set()
    for port in context.architecture.service(PLATFORM).provides:
        logical = _resource(resources, names, context, port.port, port.kind)
        _publish_ports(resources, names, context, port.port, port.kind, logical)
    template["Outputs"] = {
        "EventBusName": {"Description": "The bus every service publishes to", "Value": _attribute("EventBus", "Name")},
        "EventBusArn": {"Description": "Its ARN", "Value": _attribute("EventBus", "Arn")},
    }
    return template


def service_template(context: ExportContext, service: Service) -> Template:
    """The service on the shared platform: ports read from SSM-typed parameters."""
    template = _skeleton(context, f"{context.session.app} {service.id} service, its ports bound to the platform")
    parameters: dict[str, Any] = template["Parameters"]
    names: set[str] = set()
    bindings: list[PortBinding] = []
    for port in service.requires:
        values = {}
        for attribute, parameter_path in zip(ATTRIBUTES[port.kind], port.parameters, strict=True):
            logical = identifier(f"{port.port} {attribute} port", names)
            parameters[logical] = {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": parameter_path.replace(STAGE_PLACEHOLDER, context.stage),
                "Description": f"Port {port.port} ({attribute}), provided by {port.provider}",
            }
            values[attribute] = {"Ref": logical}
        bindings.append(PortBinding(port.port, port.kind, f"provided by {port.provider}", values))
    resources, outputs = service_resources(context, service, bindings, names)
    template["Resources"] = resources
    template["Outputs"] = outputs
    return template


def service_resources(
    context: ExportContext, service: Service, bindings: list[PortBinding], names: set[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Resources and outputs of a service on the shared platform, its required ports bound as given.

    What it owns is created and published as ports; then its subscriptions, log group
    and runtime policy. The Serverless export binds the same resources with `${ssm:...}`.
    """
    names = set() if names is None else names
    template: Template = {"Resources": {}, "Outputs": {}}
    for port in service.provides:
        logical = _resource(template["Resources"], names, context, port.port, port.kind)
        _publish_ports(template["Resources"], names, context, port.port, port.kind, logical)
    _runtime(template, names, context, service, bindings, shared=True)
    return template["Resources"], template["Outputs"]


def standalone_template(context: ExportContext, service: Service) -> Template:
    """The same service with every port bound to a private resource: it deploys on an empty account.

    Nothing is published in SSM, so copies for several stages (a developer's, a pull
    request's) never collide with each other or with the shared platform.
    """
    template = _skeleton(
        context, f"{context.session.app} {service.id} service, standalone: every port bound to a private resource"
    )
    resources: dict[str, Any] = template["Resources"]
    names: set[str] = set()
    bindings: list[PortBinding] = []
    ports = [(port.port, port.kind) for port in service.requires] + [
        (port.port, port.kind) for port in service.provides
    ]
    for port_id, kind in ports:
        logical = _resource(resources, names, context, port_id, kind, private_to=service.id)
        values = {
            attribute: {"Ref": logical} if source == "Ref" else _attribute(logical, source)
            for attribute, source in _KINDS[kind].attributes.items()
        }
        bindings.append(PortBinding(port_id, kind, f"bound to this stack's own {kind}", values))
    _runtime(template, names, context, service, bindings, shared=False)
    return template


@dataclass(frozen=True)
class PortBinding:
    """A port as one stack sees it: where each attribute's value comes from."""

    port: str
    kind: ResourceKind
    origin: str
    values: dict[str, Any]


# What a service's code may do with each kind of port it uses (least privilege, no admin).
_PORT_ACTIONS: dict[ResourceKind, list[str]] = {
    "user-pool": ["cognito-idp:AdminGetUser", "cognito-idp:ListUsers"],
    "bucket": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
    "table": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"],
    "queue": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
    "topic": ["sns:Publish"],
    "secret": ["secretsmanager:GetSecretValue"],
}


def _runtime(
    template: Template,
    names: set[str],
    context: ExportContext,
    service: Service,
    bindings: list[PortBinding],
    *,
    shared: bool,
) -> None:
    """Subscriptions, a log group and the policy the service's code runs with."""
    resources: dict[str, Any] = template["Resources"]
    outputs: dict[str, Any] = template.setdefault("Outputs", {})
    bus = next((binding for binding in bindings if binding.port == EVENT_BUS), None)
    inbox = _subscriptions(template, names, context, service, bus.values["name"] if bus else None)

    log_group = identifier("log group", names)
    suffix = "" if shared else "/standalone"
    resources[log_group] = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {
            "LogGroupName": {"Fn::Sub": f"/{context.session.app}/${{Stage}}/{service.id}{suffix}"},
            "RetentionInDays": 30,
        },
    }
    statements: list[dict[str, Any]] = [
        _allow("WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], _attribute(log_group, "Arn")),
    ]
    if shared and service.requires:
        parameter_arns = [
            {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter" + stage_path}
            for port in service.requires
            for stage_path in (path.replace(STAGE_PLACEHOLDER, "${Stage}") for path in port.parameters)
        ]
        statements.append(_allow("ReadPorts", ["ssm:GetParameter", "ssm:GetParameters"], parameter_arns))
    if bus and service.publishes:
        statement = _allow("PublishEvents", ["events:PutEvents"], bus.values["arn"])
        statement["Condition"] = {"StringEquals": {"events:source": context.source(service.id)}}
        statements.append(statement)
    for binding in bindings:
        if binding.kind in _PORT_ACTIONS:
            arn = binding.values["arn"]
            targets = [arn, {"Fn::Join": ["", [arn, "/*"]]}] if binding.kind == "bucket" else arn
            statements.append(_allow(identifier(f"use {binding.port}"), _PORT_ACTIONS[binding.kind], targets))
    if inbox:
        actions = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        statements.append(_allow("ConsumeInbox", actions, _attribute(inbox, "Arn")))
    resources[identifier("service policy", names)] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "Description": f"Attach to the code of {service.id}: its logs, ports, events and inbox",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }
    for binding in bindings:
        for attribute, value in binding.values.items():
            outputs[identifier(f"{binding.port} {attribute}", names)] = {
                "Description": f"Port {binding.port} ({attribute}), {binding.origin}",
                "Value": value,
            }


def _allow(sid: str, actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


# ---------------------------------------------------------------- pieces


def _skeleton(context: ExportContext, description: str) -> Template:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{description}. Generated by portstorm.",
        "Parameters": {
            "Stage": {
                "Type": "String",
                "Default": context.stage,
                "AllowedPattern": "^[a-z][a-z0-9-]*$",
                "Description": "Deployment stage: part of every resource name and port parameter",
            }
        },
        "Resources": {},
    }


def _resource(
    resources: dict[str, Any],
    names: set[str],
    context: ExportContext,
    resource_id: str,
    kind: ResourceKind,
    private_to: str | None = None,
) -> str:
    """Add the resource behind a port; returns its logical id."""
    spec = _KINDS[kind]
    logical = identifier(resource_id, names)
    properties = dict(spec.properties)
    if spec.name_property:
        owner = f"-{private_to}" if private_to else ""
        properties[spec.name_property] = {"Fn::Sub": f"{context.session.app}-${{Stage}}{owner}-{resource_id}"}
        if resource_id == EVENT_BUS:  # the bus is named after the app and stage alone
            properties[spec.name_property] = {"Fn::Sub": f"{context.session.app}-${{Stage}}{owner}"}
    resource: dict[str, Any] = {"Type": spec.type}
    if properties:
        resource["Properties"] = properties
    if spec.stateful:  # shared data outlives a stack; a standalone copy is thrown away whole
        policy = "Delete" if private_to else "Retain"
        resource["DeletionPolicy"] = policy
        resource["UpdateReplacePolicy"] = policy
    resources[logical] = resource
    return logical


def _publish_ports(
    resources: dict[str, Any],
    names: set[str],
    context: ExportContext,
    resource_id: str,
    kind: ResourceKind,
    logical: str,
) -> None:
    """One SSM parameter per port attribute, at its well-known name."""
    for attribute, source in _KINDS[kind].attributes.items():
        resources[identifier(f"{resource_id} {attribute} port", names)] = {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": {"Fn::Sub": f"/{context.session.app}/${{Stage}}/ports/{resource_id}/{attribute}"},
                "Type": "String",
                "Value": {"Ref": logical} if source == "Ref" else _attribute(logical, source),
                "Description": f"Port {resource_id} ({attribute}), published by portstorm",
            },
        }


def _subscriptions(
    template: Template, names: set[str], context: ExportContext, service: Service, bus: Any
) -> str | None:
    """The inbox, its dead-letter queue, its policy and one rule per producer; returns the inbox."""
    flows = context.flows_to(service.id)
    if not flows:
        return None
    resources: dict[str, Any] = template["Resources"]
    inbox, dead_letters = identifier("inbox", names), identifier("inbox dead letters", names)
    resources[dead_letters] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 1_209_600},  # 14 days, the most SQS keeps
    }
    resources[inbox] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "RedrivePolicy": {"deadLetterTargetArn": _attribute(dead_letters, "Arn"), "maxReceiveCount": _MAX_RECEIVES}
        },
    }
    by_producer: dict[str, list[str]] = {}
    for flow in flows:
        by_producer.setdefault(flow.producer, [])
        if flow.event not in by_producer[flow.producer]:
            by_producer[flow.producer].append(flow.event)
    rules = []
    for producer, events in sorted(by_producer.items()):
        rule = identifier(f"from {producer} rule", names)
        rules.append(rule)
        resources[rule] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": f"Events from {producer} that {service.id} reacts to",
                "EventBusName": bus,
                "EventPattern": _protected(context.event_pattern(producer, events)),
                "State": "ENABLED",
                "Targets": [{"Id": "inbox", "Arn": _attribute(inbox, "Arn")}],
            },
        }
    resources[identifier("inbox policy", names)] = {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": inbox}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OnlyThisServicesRules",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": _attribute(inbox, "Arn"),
                        "Condition": {"ArnEquals": {"aws:SourceArn": [_attribute(rule, "Arn") for rule in rules]}},
                    }
                ],
            },
        },
    }
    template.setdefault("Outputs", {}).update(
        {
            "InboxUrl": {"Description": f"Where {service.id} receives its events", "Value": {"Ref": inbox}},
            "InboxArn": {"Description": "Its ARN", "Value": _attribute(inbox, "Arn")},
            "DeadLetterUrl": {"Description": "Events the inbox gave up on", "Value": {"Ref": dead_letters}},
        }
    )
    return inbox


def _protected(value: Any) -> Any:
    """Every string inside `value` made literal (see `literal`)."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, list):
        return [_protected(item) for item in value]
    if isinstance(value, dict):
        return {key: _protected(item) for key, item in value.items()}
    return value


def _attribute(logical: str, name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical, name]}


def _text(template: Template) -> str:
    return dump_yaml(template)
