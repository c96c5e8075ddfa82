"""The derived architecture: services, flows, ports, deploy graph and waves."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import model.derive as derive_module
from model import edits
from model.derive import DeployEdge, _waves, derive, derive_fresh
from model.session import EVENT_BUS, PLATFORM, Context, Event, Hotspot, Policy, Resource, Session
from model.sessionfile import load_session
from tests.conftest import SAMPLES, session_from
from tests.test_properties import sessions

R = TypeVar("R")

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


# ---------------------------------------------------------------- deriving again after an edit
#
# `derive` keeps what it derived for the last session and, after an edit, derives again
# only what the edit touched. Whatever the edits, it must give what `derive_fresh`
# (everything from scratch) gives.


def _pick(records: tuple[R, ...], number: int) -> R:
    if not records:
        raise edits.EditError("nothing to pick")
    return records[number % len(records)]


def _context_id(session: Session, number: int) -> str | None:
    return _pick(session.contexts, number).id if session.contexts and number % 3 else None


def _renamed_context(session: Session, number: int, new_id: str) -> Session:
    context = _pick(session.contexts, number)
    return edits.update_context(session, context.id, context.model_copy(update={"id": new_id}))


def _using(session: Session, first: int, second: int) -> Session:
    context = _pick(session.contexts, first)
    uses = tuple(sorted({*context.uses, _pick(session.infrastructure, second).id}))
    return edits.update_context(session, context.id, context.model_copy(update={"uses": uses}))


def _toggled(session: Session, number: int) -> Session:
    index = number % max(1, len(session.hotspots))
    hotspot = _pick(session.hotspots, index)
    return edits.update_hotspot(session, index, hotspot.model_copy(update={"resolved": not hotspot.resolved}))


def _event_changed(session: Session, number: int, **update: Any) -> Session:
    index = number % max(1, len(session.events))
    return edits.update_event(session, index, _pick(session.events, index).model_copy(update=update))


def _positions(session: Session, *numbers: int) -> set[int]:
    return {number % len(session.events) for number in numbers} if session.events else {0}


EDITS: list[Callable[[Session, int, int, str], Session]] = [
    lambda s, a, b, t: edits.add_event(s, Event(name=t, context=_context_id(s, b)), a % (len(s.events) + 1) - 1),
    lambda s, a, b, t: _event_changed(s, a, name=t),
    lambda s, a, b, t: _event_changed(s, a, context=_context_id(s, b)),
    lambda s, a, b, t: _event_changed(s, a, fields=None if b % 2 else {"id": "string"}),
    lambda s, a, b, t: edits.delete_events(s, _positions(s, a, b)),
    lambda s, a, b, t: edits.move_event(s, a % max(1, len(s.events)), b % max(1, len(s.events))),
    lambda s, a, b, t: edits.assign(s, _positions(s, a, b), _context_id(s, b)),
    lambda s, a, b, t: edits.add_policy(
        s, Policy(when=_pick(s.events, a).name, then=t, context=_pick(s.contexts, b).id)
    ),
    lambda s, a, b, t: edits.add_policy(
        s, Policy(when=_pick(s.events, b).name, then=t, context=_pick(s.contexts, a).id)
    ),
    lambda s, a, b, t: edits.delete_policy(s, a % max(1, len(s.policies))),
    lambda s, a, b, t: edits.add_context(s, Context(id=f"added-{a % 7}", uses=(EVENT_BUS,) * (b % 2))),
    lambda s, a, b, t: _renamed_context(s, a, f"moved-{b % 7}"),
    lambda s, a, b, t: edits.delete_context(s, _pick(s.contexts, a).id),
    lambda s, a, b, t: edits.add_resource(
        s, Resource(id=f"res-{b % 5}", kind="table", owner=_context_id(s, a) or PLATFORM)
    ),
    lambda s, a, b, t: _using(s, a, b),
    lambda s, a, b, t: edits.delete_resource(s, _pick(s.infrastructure, a).id),
    lambda s, a, b, t: edits.add_hotspot(s, Hotspot(text=t, about=_pick(s.events, a).name if b % 2 else None)),
    lambda s, a, b, t: _toggled(s, a),
    lambda s, a, b, t: s.model_copy(update={"app": f"app-{a % 3}"}),
    lambda s, a, b, t: edits.rename_context(s, _pick(s.contexts, a).id, t),
]


def _edited(session: Session, kind: int, first: int, second: int, text: str) -> Session:
    """One edit of the workshop, chosen and aimed by numbers (an edit that cannot be made changes nothing)."""
    try:
        return EDITS[kind](session, first, second, text)
    except edits.EditError:
        return session


EDIT_KINDS = len(EDITS)
some_edits = st.lists(
    st.tuples(
        st.integers(0, EDIT_KINDS - 1),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.sampled_from(["Order Placed", "order placed", "Stock Reserved", "Ship", "Refunded", "Paid", " Paid "]),
    ),
    max_size=15,
)


@pytest.mark.parametrize("few", [derive_module._FEW, 0], ids=["as-is", "often-from-scratch"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions(), steps=some_edits)
def test_deriving_after_each_edit_equals_deriving_from_scratch(few: int, session: Session, steps: list[Any]) -> None:
    with pytest.MonkeyPatch.context() as patch:  # 0: an edit touching a quarter of the events re-derives them all
        patch.setattr(derive_module, "_FEW", few)
        assert derive(session) == derive_fresh(session)
        for kind, first, second, text in steps:
            session = _edited(session, kind, first, second, text)
            assert derive(session) == derive_fresh(session)


def _storm(events: int, contexts: int) -> Session:
    """A storm of some size: events in runs of contexts, policies mostly across them, shared resources."""
    ids = [f"team-{number}" for number in range(contexts)]
    return Session(
        name="Storm",
        app="storm",
        contexts=tuple(
            Context(id=context_id, uses=(f"store-{number % 3}",) if number % 4 == 1 else ())
            for number, context_id in enumerate(ids)
        ),
        events=tuple(
            Event(
                name=f"Thing {number} {'Happened' if number % 9 else 'Happens'}",
                context=None if number % 31 == 0 else ids[(number // 7) % contexts],
                fields={"id": "string"} if number % 2 else None,
            )
            for number in range(events)
        ),
        policies=tuple(
            Policy(when=f"Thing {number} {'Happened' if number % 9 else 'Happens'}", then="React", context=ids[i])
            for number in range(0, events, 3)
            for i in {number % contexts, (number * 5 + 1) % contexts}
        ),
        infrastructure=tuple(
            Resource(id=f"store-{number}", kind="table", owner=ids[0] if number == 2 else PLATFORM)
            for number in range(3)
        ),
        hotspots=(Hotspot(text="Who owns stock?", about="Thing 3 Happened"), Hotspot(text="Later")),
    )


def test_every_kind_of_edit_on_a_big_storm_derives_as_from_scratch() -> None:
    session = _storm(600, 12)
    assert derive(session) == derive_fresh(session)
    for round_number in range(3):
        for kind in range(EDIT_KINDS):
            first, second = 37 * kind + 101 * round_number, 53 * kind + round_number
            session = _edited(session, kind, first, second, f"Thing Added {kind} {round_number}")
            assert derive(session) == derive_fresh(session), f"edit kind {kind}, round {round_number}"


def test_an_older_or_another_session_derives_as_from_scratch() -> None:
    first = _storm(200, 5)
    second = edits.assign(first, range(0, 200, 2), None)
    other = session_from(SHOP)
    for session in (first, second, other, first, second, second, other, first):
        assert derive(session) == derive_fresh(session)


def test_records_replaced_by_equal_copies_derive_as_from_scratch() -> None:
    session = _storm(300, 6)
    derive(session)
    copied = session.model_copy(
        update={
            "events": tuple(event.model_copy() if index % 3 else event for index, event in enumerate(session.events)),
            "policies": tuple(policy.model_copy() for policy in session.policies),
        }
    )
    assert derive(copied) == derive_fresh(copied) == derive(session)


def test_a_session_that_is_not_sound_derives_as_from_scratch() -> None:
    session = session_from(SHOP)
    derive(session)
    twice = session.model_copy(update={"events": (*session.events, Event(name="ORDER PLACED", context="payments"))})
    assert derive(twice) == derive_fresh(twice)
    about_nothing = session.model_copy(
        update={"policies": (*session.policies, Policy(when="Nothing Happened", then="Wait", context="orders"))}
    )
    with pytest.raises(KeyError):
        derive_fresh(about_nothing)
    with pytest.raises(KeyError):
        derive(about_nothing)
    edited = edits.add_event(session, Event(name="Order Shipped", context="orders"))
    assert derive(edited) == derive_fresh(edited)


def test_a_service_that_leaves_the_bus_in_a_big_edit_no_longer_requires_it() -> None:
    storm = _storm(300, 6)
    lonely = edits.add_context(storm, Context(id="lonely"))
    lonely = edits.add_event(lonely, Event(name="Lonely Thing Happened", context="lonely"), 0)
    lonely = edits.add_policy(lonely, Policy(when="Lonely Thing Happened", then="Notice", context="team-1"))
    assert derive(lonely).service("lonely").requires
    edited = edits.delete_events(lonely, {1, len(lonely.events) - 1})  # the whole timeline between them
    assert derive(edited) == derive_fresh(edited)
    assert not derive(edited).service("lonely").requires


def test_only_the_last_session_is_kept() -> None:
    session = _storm(100, 4)
    derive(session)
    kept = weakref.ref(session)
    derive(edits.add_event(session, Event(name="Thing Added", context="team-1")))
    del session
    gc.collect()
    assert kept() is None


def test_threads_deriving_at_once_get_what_each_session_derives() -> None:
    versions = [_storm(300, 6)]
    for number in range(12):
        versions.append(_edited(versions[-1], number % EDIT_KINDS, 17 * number, 5 * number, f"Thing New {number}"))
    expected = [derive_fresh(version) for version in versions]
    failures: list[int] = []

    def work(offset: int) -> None:
        for round_number in range(4):
            for index in range(len(versions)):
                position = (index * (offset + 1) + round_number) % len(versions)
                if derive(versions[position]) != expected[position]:
                    failures.append(position)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 25).flatmap(
        lambda size: st.tuples(
            st.just(size), st.sets(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=60)
        )
    )
)
def test_waves_are_the_topological_generations_networkx_finds(graph: tuple[int, set[tuple[int, int]]]) -> None:
    import networkx as nx

    size, pairs = graph
    ids = [f"service-{number}" for number in range(size)]
    edges = tuple(DeployEdge(ids[a], ids[b], ()) for a, b in sorted(pairs) if a != b)
    reference = nx.DiGraph()
    reference.add_nodes_from(ids)
    reference.add_edges_from((edge.provider, edge.consumer) for edge in edges)
    waves, cycles = _waves(ids, edges)
    if nx.is_directed_acyclic_graph(reference):
        assert waves == tuple(tuple(sorted(wave)) for wave in nx.topological_generations(reference))
        assert cycles == []
    else:
        assert waves == ()
        assert cycles
