"""Serverless Framework v3: a compose file and one `serverless.yml` per service.

The stacks are the CloudFormation export's (its resources are reused, not re-declared);
what changes is how values arrive. The stage is Serverless's `${sls:stage}` instead of a
template parameter, and each port is an `${ssm:...}` variable resolved at deploy time,
which is what makes the platform a real deploy-time dependency: `dependsOn` in the compose
file says so. No functions: the team adds those, with the port values in the environment.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from exports.cloudformation import PortBinding, platform_template, service_resources, stack_name
from exports.context import ExportContext
from exports.yamltext import dump_yaml
from model.derive import Service
from model.ports import ATTRIBUTES, STAGE_PLACEHOLDER
from model.session import PLATFORM

STAGE = "${sls:stage}"


def render_serverless(context: ExportContext) -> dict[str, str]:
    files = {"serverless/serverless-compose.yml": dump_yaml(compose(context))}
    for service in context.architecture.services:
        files[f"serverless/{service.id}/serverless.yml"] = dump_yaml(service_file(context, service))
    return files


def compose(context: ExportContext) -> dict[str, Any]:
    """Every service in its folder, after the services whose ports it reads (the plan's deploy edges)."""
    services: dict[str, Any] = {}
    for service in context.architecture.services:
        services[service.id] = {"path": service.id}
        after = context.architecture.predecessors(service.id)
        if after:
            services[service.id]["dependsOn"] = list(after)
    return {"services": services}


def service_file(context: ExportContext, service: Service) -> dict[str, Any]:
    """One service's `serverless.yml`: the CloudFormation stack's resources, ports bound through SSM."""
    provider: dict[str, Any] = {
        "name": "aws",
        "stage": f"${{opt:stage, '{context.stage}'}}",
        "region": "${opt:region, 'us-east-1'}",
        # The CloudFormation export's stack name: both deploy the same resources under the same names.
        "stackName": stack_name(dataclasses.replace(context, stage=STAGE), service.id),
    }
    if service.id == PLATFORM:
        template = platform_template(context)
        resources, outputs = template["Resources"], template["Outputs"]
    else:
        bindings = [
            PortBinding(
                port.port,
                port.kind,
                f"provided by {port.provider}",
                {
                    attribute: "${ssm:" + path.replace(STAGE_PLACEHOLDER, STAGE) + "}"
                    for attribute, path in zip(ATTRIBUTES[port.kind], port.parameters, strict=True)
                },
            )
            for port in service.requires
        ]
        resources, outputs = service_resources(context, service, bindings)
        environment = {
            f"PORT_{binding.port}_{attribute}".upper().replace("-", "_"): value
            for binding in bindings
            for attribute, value in binding.values.items()
        }
        if environment:
            provider["environment"] = environment
    return {
        "service": f"{context.session.app}-{service.id}",
        "frameworkVersion": "3",
        "provider": provider,
        "resources": {"Resources": _staged(resources), "Outputs": _staged(outputs)},
    }


def _staged(value: Any) -> Any:
    """`value` with the template's `Stage` parameter replaced by Serverless's stage.

    An `Fn::Sub` left with no CloudFormation variable becomes the plain string it is.
    """
    if isinstance(value, list):
        return [_staged(item) for item in value]
    if not isinstance(value, dict):
        return value
    text = value.get("Fn::Sub")
    if len(value) == 1 and isinstance(text, str):
        text = text.replace("${Stage}", STAGE)
        return text if "${" not in text.replace(STAGE, "") else {"Fn::Sub": text}
    return {key: _staged(item) for key, item in value.items()}
