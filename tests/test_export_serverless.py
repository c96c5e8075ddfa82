"""Serverless: Compose accepts the project, cfn-lint the resources, and only Serverless's own variables appear."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from exports.bundle import export
from exports.cloudformation import platform_template, service_template
from exports.context import ExportContext
from exports.yamltext import dump_yaml
from model.derive import Architecture, derive
from model.session import PLATFORM, Session
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session
from tests.validators import check_cloudformation, check_compose

SESSIONS = {
    "ecommerce": lambda: load_session(SAMPLES / "ecommerce.yaml"),
    "back-office": lambda: load_session(SAMPLES / "back-office.yaml"),
    "hostile": hostile_session,
}

SSM = re.compile(r"\$\{ssm:(/[a-z0-9-]+/\$\{sls:stage\}/ports/[a-z0-9-]+/[a-z]+)\}")
OPTION = re.compile(r"\$\{opt:[a-z]+, '[a-z0-9-]+'\}")
PSEUDO_PARAMETER = re.compile(r"\$\{AWS::(AccountId|Partition|Region|StackName|URLSuffix)\}")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, tuple[Session, Architecture, Path]]:
    folders = {}
    for name, make in SESSIONS.items():
        session = make()
        folder = tmp_path_factory.mktemp(name) / "export"
        export(session, folder, ["serverless"])
        folders[name] = (session, derive(session), folder / "serverless")
    return folders


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def as_cloudformation(text: str) -> dict[str, Any]:
    """The stack a serverless.yml deploys, once Serverless has resolved its variables (SSM faked)."""

    def port_value(match: re.Match[str]) -> str:
        path = match[1].replace("${sls:stage}", "dev")
        return f"arn:aws:ssm:us-east-1:123456789012:parameter{path}" if path.endswith("/arn") else "placeholder"

    text = SSM.sub(port_value, text).replace("${sls:stage}", "dev")
    return {"AWSTemplateFormatVersion": "2010-09-09", **yaml.safe_load(text)["resources"]}


def test_serverless_compose_accepts_the_project(exported) -> None:
    for _session, _architecture, folder in exported.values():
        check_compose(folder)


def test_cfn_lint_reports_nothing_on_the_resources(exported, tmp_path) -> None:
    templates = []
    for name, (_session, _architecture, folder) in exported.items():
        for path in sorted(folder.glob("*/serverless.yml")):
            template = tmp_path / f"{name}-{path.parent.name}.yaml"
            template.write_text(dump_yaml(as_cloudformation(path.read_text(encoding="utf-8"))), encoding="utf-8")
            templates.append(template)
    check_cloudformation(templates)


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_compose_deploys_in_the_plans_order(exported, name) -> None:
    _session, architecture, folder = exported[name]
    services = load(folder / "serverless-compose.yml")["services"]
    assert {key: entry["path"] for key, entry in services.items()} == {s.id: s.id for s in architecture.services}
    assert all(entry.get("dependsOn") != [] for entry in services.values())
    depends = {(provider, key) for key, entry in services.items() for provider in entry.get("dependsOn", [])}
    assert depends == {(edge.provider, edge.consumer) for edge in architecture.deploy_edges}
    assert {path.parent.name for path in folder.glob("*/serverless.yml")} == set(services)


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_only_serverless_and_cloudformation_variables_appear(exported, name) -> None:
    _session, _architecture, folder = exported[name]
    for path in folder.rglob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert "{{resolve:" not in text, path
        for line in text.splitlines():
            rest = OPTION.sub("", SSM.sub("", line)).replace("${sls:stage}", "")
            if "Fn::Sub" in line:
                rest = PSEUDO_PARAMETER.sub("", rest)
            assert "${" not in rest, (path, line)


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_each_service_is_its_cloudformation_stack(exported, name) -> None:
    session, architecture, folder = exported[name]
    context = ExportContext(session, architecture)
    for service in architecture.services:
        path = folder / service.id / "serverless.yml"
        document = load(path)
        assert document["service"] == f"{session.app}-{service.id}"
        assert document["frameworkVersion"] == "3"
        assert "functions" not in document
        provider = document["provider"]
        assert provider["name"] == "aws"
        assert provider["stage"] == "${opt:stage, 'dev'}"
        assert provider["stackName"] == f"{session.app}-${{sls:stage}}-{service.id}"
        expected = platform_template(context) if service.id == PLATFORM else service_template(context, service)
        resources = as_cloudformation(path.read_text(encoding="utf-8"))
        assert sorted(spec["Type"] for spec in resources["Resources"].values()) == sorted(
            spec["Type"] for spec in expected["Resources"].values()
        )
        assert set(resources["Outputs"]) == set(expected["Outputs"])
        assert "${Stage}" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_every_port_read_is_in_the_environment(exported, name) -> None:
    _session, architecture, folder = exported[name]
    for service in architecture.services:
        environment = load(folder / service.id / "serverless.yml")["provider"].get("environment", {})
        expected = {
            f"PORT_{port.port.upper().replace('-', '_')}_{parameter.rsplit('/', 1)[1].upper()}": (
                "${ssm:" + parameter.replace("{stage}", "${sls:stage}") + "}"
            )
            for port in service.requires
            for parameter in port.parameters
        }
        assert environment == expected, service.id


def test_hostile_event_names_reach_the_rules_exactly(exported) -> None:
    _session, architecture, folder = exported["hostile"]

    def joined(value: Any) -> Any:
        return "".join(value["Fn::Join"][1]) if isinstance(value, dict) else value

    for service in architecture.services:
        resources = load(folder / service.id / "serverless.yml")["resources"]["Resources"]
        matched = sorted(
            joined(name)
            for spec in resources.values()
            if spec["Type"] == "AWS::Events::Rule"
            for name in spec["Properties"]["EventPattern"]["detail-type"]
        )
        assert matched == sorted(item.event for item in service.subscribes)
    assert any("${" in flow.event for flow in architecture.flows)
