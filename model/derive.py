"""The derived architecture: services, flows, ports, the deploy graph and its waves.

`derive` is the one function that computes it; the CLI, the app and every exporter use
its result. Nothing here is stored in the session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from model.lint import Problem, find_problems
from model.ports import parameter_names
from model.session import EVENT_BUS, PLATFORM, ResourceKind, Session, name_key


@dataclass(frozen=True, slots=True)
class RequiredPort:
    """A port a service reads: a shared resource it needs and who provides it."""

    port: str
    kind: ResourceKind
    provider: str
    parameters: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ProvidedPort:
    """A port a service publishes for others."""

    port: str
    kind: ResourceKind
    parameters: tuple[str, ...]
    consumers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Subscription:
    """An event a service reacts to, published by another service."""

    event: str
    producer: str


@dataclass(frozen=True, slots=True)
class Service:
    """One deployable unit: a bounded context, or the platform."""

    id: str
    name: str
    owner: str | None
    source: str
    """The EventBridge `source` of what it publishes, `<app>.<id>`."""
    publishes: tuple[str, ...]
    subscribes: tuple[Subscription, ...]
    requires: tuple[RequiredPort, ...]
    provides: tuple[ProvidedPort, ...]

    @property
    def on_bus(self) -> bool:
        return bool(self.publishes or self.subscribes)


@dataclass(frozen=True, slots=True)
class Flow:
    """An event that crosses a service boundary over the bus."""

    event: str
    producer: str
    consumer: str
    commands: tuple[str, ...]
    """What the consumer runs when the event arrives."""


@dataclass(frozen=True, slots=True)
class DeployEdge:
    """`provider` must be deployed before `consumer`, because of these ports."""

    provider: str
    consumer: str
    ports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Architecture:
    """Everything derived from one session."""

    app: str
    services: tuple[Service, ...]
    flows: tuple[Flow, ...]
    deploy_edges: tuple[DeployEdge, ...]
    deploy_waves: tuple[tuple[str, ...], ...]
    """Topological generations of the deploy graph; empty when it has a cycle."""
    problems: tuple[Problem, ...] = ()

    def service(self, service_id: str) -> Service:
        return next(service for service in self.services if service.id == service_id)

    def wave_of(self, service_id: str) -> int | None:
        """The 1-based deploy wave of a service, or None when there is a cycle."""
        for number, wave in enumerate(self.deploy_waves, start=1):
            if service_id in wave:
                return number
        return None

    def predecessors(self, service_id: str) -> tuple[str, ...]:
        """The services that must be deployed before this one."""
        return tuple(sorted(edge.provider for edge in self.deploy_edges if edge.consumer == service_id))

    @property
    def has_errors(self) -> bool:
        return any(problem.severity == "error" for problem in self.problems)

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain data: the contract of `portstorm plan --json`."""
        return {
            "app": self.app,
            "services": [
                {
                    "id": service.id,
                    "name": service.name,
                    "owner": service.owner,
                    "source": service.source,
                    "wave": self.wave_of(service.id),
                    "publishes": list(service.publishes),
                    "subscribes": [{"event": item.event, "from": item.producer} for item in service.subscribes],
                    "requires": [
                        {
                            "port": port.port,
                            "kind": port.kind,
                            "provider": port.provider,
                            "parameters": list(port.parameters),
                            "reason": port.reason,
                        }
                        for port in service.requires
                    ],
                    "provides": [
                        {
                            "port": port.port,
                            "kind": port.kind,
                            "parameters": list(port.parameters),
                            "consumers": list(port.consumers),
                        }
                        for port in service.provides
                    ],
                }
                for service in self.services
            ],
            "flows": [
                {"event": flow.event, "from": flow.producer, "to": flow.consumer, "commands": list(flow.commands)}
                for flow in self.flows
            ],
            "deploy_edges": [
                {"from": edge.provider, "to": edge.consumer, "ports": list(edge.ports)} for edge in self.deploy_edges
            ],
            "deploy_waves": [list(wave) for wave in self.deploy_waves],
            "problems": [
                {
                    "severity": problem.severity,
                    "rule": problem.rule,
                    "message": problem.message,
                    "subjects": list(problem.subjects),
                }
                for problem in self.problems
            ],
        }


def derive(session: Session) -> Architecture:
    """Compute the architecture of a structurally sound session (see `reference_errors`)."""
    flows = _flows(session)
    kinds: dict[str, ResourceKind] = {EVENT_BUS: "event-bus"}
    owners: dict[str, str] = {EVENT_BUS: PLATFORM}
    for resource in session.infrastructure:
        kinds[resource.id] = resource.kind
        owners[resource.id] = resource.owner

    publishes: dict[str, list[str]] = defaultdict(list)
    subscribes: dict[str, list[Subscription]] = defaultdict(list)
    for flow in flows:
        if flow.event not in publishes[flow.producer]:
            publishes[flow.producer].append(flow.event)
        subscribes[flow.consumer].append(Subscription(flow.event, flow.producer))

    requires: dict[str, list[RequiredPort]] = {}
    consumers: dict[str, list[str]] = defaultdict(list)
    for context in session.contexts:
        needed: dict[str, str] = {}
        if publishes[context.id] or subscribes[context.id]:
            needed[EVENT_BUS] = _bus_reason(len(publishes[context.id]), len(subscribes[context.id]))
        for resource_id in context.uses:
            needed.setdefault(resource_id, "listed in uses")
        ports = [
            RequiredPort(
                port=resource_id,
                kind=kinds[resource_id],
                provider=owners[resource_id],
                parameters=parameter_names(session.app, resource_id, kinds[resource_id]),
                reason=reason,
            )
            for resource_id, reason in sorted(needed.items())
            if owners[resource_id] != context.id
        ]
        requires[context.id] = ports
        for port in ports:
            consumers[port.port].append(context.id)

    provided: dict[str, list[ProvidedPort]] = defaultdict(list)
    for resource_id in sorted(kinds):
        provided[owners[resource_id]].append(
            ProvidedPort(
                port=resource_id,
                kind=kinds[resource_id],
                parameters=parameter_names(session.app, resource_id, kinds[resource_id]),
                consumers=tuple(sorted(consumers[resource_id])),
            )
        )

    services = [
        Service(
            id=PLATFORM,
            name="Platform",
            owner=None,
            source=f"{session.app}.{PLATFORM}",
            publishes=(),
            subscribes=(),
            requires=(),
            provides=tuple(provided[PLATFORM]),
        )
    ]
    services += [
        Service(
            id=context.id,
            name=context.title,
            owner=context.owner,
            source=f"{session.app}.{context.id}",
            publishes=tuple(publishes[context.id]),
            subscribes=tuple(subscribes[context.id]),
            requires=tuple(requires[context.id]),
            provides=tuple(provided[context.id]),
        )
        for context in session.contexts
    ]
    services.sort(key=lambda service: service.id)

    edge_ports: dict[tuple[str, str], list[str]] = defaultdict(list)
    for service in services:
        for port in service.requires:
            edge_ports[(port.provider, service.id)].append(port.port)
    edges = tuple(
        DeployEdge(provider, consumer, tuple(ports)) for (provider, consumer), ports in sorted(edge_ports.items())
    )
    waves, cycles = _waves([service.id for service in services], edges)

    architecture = Architecture(
        app=session.app,
        services=tuple(services),
        flows=tuple(flows),
        deploy_edges=edges,
        deploy_waves=waves,
    )
    problems = find_problems(session, architecture, cycles)
    return Architecture(
        app=architecture.app,
        services=architecture.services,
        flows=architecture.flows,
        deploy_edges=architecture.deploy_edges,
        deploy_waves=architecture.deploy_waves,
        problems=problems,
    )


def _flows(session: Session) -> list[Flow]:
    """Policies that react to an event of another context, one flow per pair of services."""
    position = {name_key(event.name): index for index, event in enumerate(session.events)}
    commands: dict[tuple[int, str], list[str]] = defaultdict(list)
    for policy in session.policies:
        index = position[name_key(policy.when)]
        producer = session.events[index].context
        if producer is None or producer == policy.context:
            continue  # unassigned events are not on the bus yet; same-context policies stay private
        found = commands[(index, policy.context)]
        if policy.then not in found:
            found.append(policy.then)
    return [
        Flow(
            event=session.events[index].name,
            producer=session.events[index].context or "",
            consumer=consumer,
            commands=tuple(found),
        )
        for (index, consumer), found in sorted(commands.items())
    ]


def _bus_reason(published: int, subscribed: int) -> str:
    parts = []
    if published:
        parts.append(f"publishes {published} event{'s' if published != 1 else ''}")
    if subscribed:
        parts.append(f"subscribes to {subscribed}")
    return ", ".join(parts)


def _waves(
    service_ids: list[str], edges: tuple[DeployEdge, ...]
) -> tuple[tuple[tuple[str, ...], ...], list[list[str]]]:
    """Deploy waves (topological generations), or no waves and the cycles found."""
    import networkx as nx  # imported here: it costs more at start-up than the whole app

    graph = nx.DiGraph()
    graph.add_nodes_from(service_ids)
    graph.add_edges_from((edge.provider, edge.consumer) for edge in edges)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            cycles.append([provider for provider, _consumer in cycle])
    if cycles:
        return (), sorted(cycles)
    return tuple(tuple(sorted(wave)) for wave in nx.topological_generations(graph)), []
