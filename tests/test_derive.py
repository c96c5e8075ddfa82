"""The derived architecture: services, flows, ports, deploy graph and waves."""

from __future__ import annotations

from model.derive import derive
from model.sessionfile import load_session
from tests.conftest import SAMPLES, session_from

SHOP = """\
portstorm: 1
name: Shop
app: shop
contexts:
- id: orders
  uses: [user-pool]
- id: payments
- id: inventory
- id: reporting
events:
- name: Order Placed
  context: orders
  fields: {orderId: string}
- name: Payment Taken
  context: payments
  fields: {orderId: string}
- name: Stock Reserved
  context: inventory
policies:
- when: Order Placed
  then: Take Payment
  context: payments
- when: Order Placed
  then: Reserve Stock
  context: inventory
- when: Order Placed
  then: Reserve More Stock
  context: inventory
- when: Payment Taken
  then: Confirm Order
  context: orders
- when: Stock Reserved
  then: Pick Items
  context: inventory
infrastructure:
- id: user-pool
  kind: user-pool
"""


def test_one_service_per_context_plus_the_platform() -> None:
    architecture = derive(session_from(SHOP))
    assert [service.id for service in architecture.services] == [
        "inventory",
        "orders",
        "payments",
        "platform",
        "reporting",
    ]
    platform = architecture.service("platform")
    assert [port.port for port in platform.provides] == ["event-bus", "user-pool"]
    assert architecture.service("orders").source == "shop.orders"


def test_cross_context_policies_are_flows_and_internal_ones_are_not() -> None:
    flows = derive(session_from(SHOP)).flows
    assert [(flow.event, flow.producer, flow.consumer, flow.commands) for flow in flows] == [
        ("Order Placed", "orders", "inventory", ("Reserve Stock", "Reserve More Stock")),
        ("Order Placed", "orders", "payments", ("Take Payment",)),
        ("Payment Taken", "payments", "orders", ("Confirm Order",)),
    ]


def test_publishers_and_subscribers() -> None:
    architecture = derive(session_from(SHOP))
    orders = architecture.service("orders")
    assert orders.publishes == ("Order Placed",)
    assert [(item.event, item.producer) for item in orders.subscribes] == [("Payment Taken", "payments")]
    assert architecture.service("inventory").publishes == ()  # its only policy is internal


def test_policies_on_unassigned_events_are_not_flows_yet() -> None:
    session = session_from(SHOP.replace("- name: Payment Taken\n  context: payments\n", "- name: Payment Taken\n"))
    assert "Payment Taken" not in [flow.event for flow in derive(session).flows]


def test_ports_follow_the_bus_and_uses() -> None:
    architecture = derive(session_from(SHOP))
    orders = architecture.service("orders")
    assert [(port.port, port.provider) for port in orders.requires] == [
        ("event-bus", "platform"),
        ("user-pool", "platform"),
    ]
    assert orders.requires[0].reason == "publishes 1 event, subscribes to 1"
    assert orders.requires[1].reason == "listed in uses"
    assert orders.requires[1].parameters == ("/shop/{stage}/ports/user-pool/arn", "/shop/{stage}/ports/user-pool/id")
    assert architecture.service("reporting").requires == ()  # not on the bus, uses nothing
    inventory = architecture.service("inventory")
    assert inventory.requires[0].reason == "subscribes to 1"


def test_a_service_never_requires_its_own_resource() -> None:
    session = session_from(SHOP.replace("kind: user-pool\n", "kind: user-pool\n  owner: orders\n"))
    orders = derive(session).service("orders")
    assert [port.port for port in orders.requires] == ["event-bus"]
    assert [(port.port, port.consumers) for port in orders.provides] == [("user-pool", ())]


def test_deploy_edges_come_from_ports_only_and_flows_add_none() -> None:
    architecture = derive(session_from(SHOP))
    assert [(edge.provider, edge.consumer, edge.ports) for edge in architecture.deploy_edges] == [
        ("platform", "inventory", ("event-bus",)),
        ("platform", "orders", ("event-bus", "user-pool")),
        ("platform", "payments", ("event-bus",)),
    ]
    assert architecture.deploy_waves == (("platform", "reporting"), ("inventory", "orders", "payments"))


def test_the_seed_example_deploys_platform_then_finance_then_hr() -> None:
    architecture = derive(load_session(SAMPLES / "back-office.yaml"))
    assert architecture.deploy_waves == (("platform",), ("finance",), ("hr",))
    assert architecture.predecessors("hr") == ("finance", "platform")
    assert architecture.wave_of("hr") == 3
    (warning,) = [problem for problem in architecture.problems if problem.rule == "source-of-existence"]
    assert warning.subjects == ("user-pool", "finance")


CYCLE = """\
portstorm: 1
name: Tangle
app: tangle
contexts:
- id: finance
  uses: [org-chart]
- id: hr
  uses: [user-pool]
events:
- name: Salary Paid
  context: finance
- name: Employee Hired
  context: hr
infrastructure:
- id: user-pool
  kind: user-pool
  owner: finance
- id: org-chart
  kind: table
  owner: hr
"""


def test_a_deploy_cycle_is_an_error_and_has_no_waves() -> None:
    architecture = derive(session_from(CYCLE))
    assert architecture.deploy_waves == ()
    assert architecture.wave_of("hr") is None
    assert architecture.has_errors
    (cycle,) = [problem for problem in architecture.problems if problem.severity == "error"]
    assert cycle.rule == "deploy-cycle"
    assert cycle.subjects == ("finance", "hr")
    assert "finance -> hr -> finance" in cycle.message or "hr -> finance -> hr" in cycle.message


def test_plan_dict_has_the_contract_keys() -> None:
    plan = derive(session_from(SHOP)).as_dict()
    assert set(plan) >= {"app", "services", "flows", "deploy_waves", "problems"}
    orders = next(service for service in plan["services"] if service["id"] == "orders")
    assert orders["subscribes"] == [{"event": "Payment Taken", "from": "payments"}]
    assert orders["requires"][0] == {
        "port": "event-bus",
        "kind": "event-bus",
        "provider": "platform",
        "parameters": ["/shop/{stage}/ports/event-bus/arn", "/shop/{stage}/ports/event-bus/name"],
        "reason": "publishes 1 event, subscribes to 1",
    }
    assert plan["flows"][1] == {
        "event": "Order Placed",
        "from": "orders",
        "to": "payments",
        "commands": ["Take Payment"],
    }
