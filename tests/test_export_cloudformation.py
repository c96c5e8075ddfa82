"""CloudFormation: cfn-lint finds nothing, and the stacks really deploy and deliver events (moto)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from exports.bundle import export
from model.derive import Architecture, derive
from model.session import PLATFORM, Session
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session
from tests.moto_cloud import Cloud, DeployError
from tests.validators import check_cloudformation

SESSIONS = {
    "ecommerce": lambda: load_session(SAMPLES / "ecommerce.yaml"),
    "back-office": lambda: load_session(SAMPLES / "back-office.yaml"),
    "hostile": hostile_session,
}


@pytest.fixture(scope="module", params=sorted(SESSIONS))
def exported(request, tmp_path_factory) -> tuple[Session, Architecture, Path]:
    session = SESSIONS[request.param]()
    folder = tmp_path_factory.mktemp(request.param) / "export"
    export(session, folder, ["cloudformation"])
    return session, derive(session), folder / "cloudformation"


def template(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_cfn_lint_reports_nothing(exported) -> None:
    _session, _architecture, folder = exported
    check_cloudformation(sorted(folder.rglob("*.yaml")))


def test_one_stack_per_service_and_a_standalone_copy(exported) -> None:
    _session, architecture, folder = exported
    services = {service.id for service in architecture.services} - {PLATFORM}
    assert {path.stem for path in folder.glob("*.yaml")} == services | {PLATFORM}
    assert {path.stem for path in (folder / "standalone").glob("*.yaml")} == services


def test_inbox_policy_lets_only_the_stacks_own_rules_send(exported) -> None:
    # moto ignores queue policies, so the policy itself is what is checked.
    _session, architecture, folder = exported
    for flow_consumer in {flow.consumer for flow in architecture.flows}:
        resources = template(folder / f"{flow_consumer}.yaml")["Resources"]
        rules = sorted(name for name, spec in resources.items() if spec["Type"] == "AWS::Events::Rule")
        (policy,) = [spec for spec in resources.values() if spec["Type"] == "AWS::SQS::QueuePolicy"]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Action"] == "sqs:SendMessage"
        allowed = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert sorted(item["Fn::GetAtt"][0] for item in allowed) == rules
        assert all(
            target["Arn"] == statement["Resource"]
            for name in rules
            for target in resources[name]["Properties"]["Targets"]
        )


def test_user_text_is_never_a_dynamic_reference_or_variable(exported) -> None:
    _session, _architecture, folder = exported
    for path in folder.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "{{resolve:" not in text, path
        for line in text.splitlines():
            assert "${" not in line or "Fn::Sub" in line, (path, line)


def _deploy_all(cloud: Cloud, session: Session, architecture: Architecture, folder: Path) -> dict[str, dict]:
    stacks = {}
    for wave in architecture.deploy_waves:
        for service_id in wave:
            stacks[service_id] = cloud.deploy(f"{session.app}-dev-{service_id}", folder / f"{service_id}.yaml")
    return stacks


def test_stacks_deploy_in_wave_order_and_ports_resolve(cloud, exported) -> None:
    session, architecture, folder = exported
    cloud.reset()
    stacks = _deploy_all(cloud, session, architecture, folder)
    bus = cloud.events.describe_event_bus(Name=f"{session.app}-dev")
    assert cloud.ssm_value(f"/{session.app}/dev/ports/event-bus/arn") == bus["Arn"]
    assert cloud.ssm_value(f"/{session.app}/dev/ports/event-bus/name") == bus["Name"]
    for service in architecture.services:
        if service.id == PLATFORM:
            continue
        declared = template(folder / f"{service.id}.yaml").get("Parameters", {})
        resolved = {item["ParameterKey"]: item["ParameterValue"] for item in stacks[service.id]["Parameters"]}
        ssm_typed = {key: spec["Default"] for key, spec in declared.items() if spec["Type"].startswith("AWS::SSM")}
        assert len(ssm_typed) == sum(len(port.parameters) for port in service.requires)
        for key, parameter in ssm_typed.items():
            assert resolved[key] == cloud.ssm_value(parameter), (service.id, key)


def test_every_flow_reaches_exactly_its_consumers(cloud, exported) -> None:
    session, architecture, folder = exported
    cloud.reset()
    stacks = _deploy_all(cloud, session, architecture, folder)
    inboxes = {
        service_id: next(item["OutputValue"] for item in stack.get("Outputs", []) if item["OutputKey"] == "InboxUrl")
        for service_id, stack in stacks.items()
        if any(item["OutputKey"] == "InboxUrl" for item in stack.get("Outputs", []))
    }
    assert set(inboxes) == {flow.consumer for flow in architecture.flows}
    sent = {(flow.producer, flow.event) for flow in architecture.flows}
    for producer, event in sorted(sent):
        detail = {"portstormTest": f"{producer}:{event}"}
        answer = cloud.events.put_events(
            Entries=[
                {
                    "Source": f"{session.app}.{producer}",
                    "DetailType": event,
                    "Detail": json.dumps(detail),
                    "EventBusName": f"{session.app}-dev",
                }
            ]
        )
        assert answer["FailedEntryCount"] == 0
        received = {
            service_id
            for service_id, url in inboxes.items()
            for message in cloud.drain(url)
            if message["detail"] == detail
        }
        expected = {flow.consumer for flow in architecture.flows if (flow.producer, flow.event) == (producer, event)}
        assert received == expected, (producer, event)


def test_an_event_from_the_wrong_source_reaches_nobody(cloud, exported) -> None:
    session, architecture, folder = exported
    if not architecture.flows:
        pytest.skip("no flows")
    cloud.reset()
    stacks = _deploy_all(cloud, session, architecture, folder)
    flow = architecture.flows[0]
    cloud.events.put_events(
        Entries=[
            {
                "Source": f"{session.app}.impostor",
                "DetailType": flow.event,
                "Detail": "{}",
                "EventBusName": f"{session.app}-dev",
            }
        ]
    )
    for stack in stacks.values():
        for output in stack.get("Outputs", []):
            if output["OutputKey"] == "InboxUrl":
                assert cloud.drain(output["OutputValue"]) == []


def test_each_standalone_stack_deploys_on_an_empty_account(cloud, exported) -> None:
    session, architecture, folder = exported
    for service in architecture.services:
        if service.id == PLATFORM:
            continue
        cloud.reset()
        stack = cloud.deploy(f"{session.app}-pr1-{service.id}", folder / "standalone" / f"{service.id}.yaml", "pr1")
        outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
        for subscription in service.subscribes:  # its own private bus delivers to its own inbox
            cloud.events.put_events(
                Entries=[
                    {
                        "Source": f"{session.app}.{subscription.producer}",
                        "DetailType": subscription.event,
                        "Detail": "{}",
                        "EventBusName": outputs["EventBusName"],
                    }
                ]
            )
            assert len(cloud.drain(outputs["InboxUrl"])) == 1, (service.id, subscription.event)


def test_two_standalone_copies_do_not_collide(cloud, tmp_path) -> None:
    export(load_session(SAMPLES / "back-office.yaml"), tmp_path / "out", ["cloudformation"])
    path = tmp_path / "out" / "cloudformation" / "standalone" / "hr.yaml"
    cloud.reset()
    first = cloud.deploy("backoffice-alice-hr", path, "alice")
    second = cloud.deploy("backoffice-bob-hr", path, "bob")
    buses = [
        next(item["OutputValue"] for item in stack["Outputs"] if item["OutputKey"] == "EventBusName")
        for stack in (first, second)
    ]
    assert buses == ["backoffice-alice-hr", "backoffice-bob-hr"]


def test_a_service_deployed_before_its_provider_fails_clearly(cloud, tmp_path) -> None:
    session = load_session(SAMPLES / "back-office.yaml")
    export(session, tmp_path / "out", ["cloudformation"])
    folder = tmp_path / "out" / "cloudformation"
    cloud.reset()
    cloud.deploy("backoffice-dev-platform", folder / "platform.yaml")
    with pytest.raises(DeployError, match=r"/backoffice/dev/ports/user-pool/arn"):
        cloud.deploy("backoffice-dev-hr", folder / "hr.yaml")
    cloud.deploy("backoffice-dev-finance", folder / "finance.yaml")
    cloud.deploy("backoffice-dev-hr", folder / "hr.yaml")
