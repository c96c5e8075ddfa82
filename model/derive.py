"""The derived architecture: services, flows, ports, the deploy graph and its waves.

`derive` is the one function that computes it; the CLI, the app and every exporter use
its result. Nothing here is stored in the session.
"""

from __future__ import annotations

import contextlib
import operator
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from graphlib import CycleError, TopologicalSorter
from itertools import chain, compress, repeat
from typing import Any, TypeVar

from model.lint import (
    EVENT_RULES,
    Problem,
    Rule,
    by_subjects,
    empty_context_problem,
    event_problems,
    find_problems,
    rules_in_order,
)
from model.ports import parameter_names
from model.session import EVENT_BUS, PLATFORM, Context, Event, Policy, ResourceKind, Session, name_key, shared_ends


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
    """Compute the architecture of a structurally sound session (see `reference_errors`).

    Always equal to `derive_fresh(session)`, only incremental: it keeps what it derived
    for the last session it was given, and an edit (which shares every record it did not
    change, see `model.edits`) costs only the work of the records it touched, so the app
    can re-derive after every keystroke. Safe in several threads at once: what is kept
    is never changed, only replaced.
    """
    latest = _kept.state
    if latest.session is session:
        return latest.architecture
    try:
        state = _Update(latest, session).state()
    except _Unsound:  # two events with one name, or a policy about no event
        return derive_fresh(session)
    _kept.state = state
    return state.architecture


def derive_fresh(session: Session) -> Architecture:
    """`derive`, computed from scratch: the reference the incremental derivation is tested against."""
    flows = _flows(session)
    publishes, subscribes = _bus_use(flows)
    services = _services(session, publishes, subscribes)
    edges = _deploy_edges(services)
    waves, cycles = _waves([service.id for service in services], edges)
    architecture = Architecture(
        app=session.app,
        services=services,
        flows=flows,
        deploy_edges=edges,
        deploy_waves=waves,
    )
    return replace(architecture, problems=find_problems(session, architecture, cycles))


def _flows(session: Session) -> tuple[Flow, ...]:
    """Policies that react to an event of another context, one flow per pair of services."""
    position = {name_key(event.name): index for index, event in enumerate(session.events)}
    reactions: dict[int, list[Policy]] = defaultdict(list)
    for policy in session.policies:
        reactions[position[name_key(policy.when)]].append(policy)
    return tuple(flow for index in sorted(reactions) for flow in _event_flows(session.events[index], reactions[index]))


def _event_flows(event: Event, reactions: Sequence[Policy]) -> tuple[Flow, ...]:
    """The flows of one event, by consumer.

    Unassigned events are not on the bus yet; same-context policies stay private.
    """
    producer = event.context
    if producer is None or not reactions:
        return ()
    commands: dict[str, list[str]] = {}
    for policy in reactions:
        if policy.context != producer:
            found = commands.setdefault(policy.context, [])
            if policy.then not in found:
                found.append(policy.then)
    return tuple(
        Flow(event=event.name, producer=producer, consumer=consumer, commands=tuple(found))
        for consumer, found in sorted(commands.items())
    )


def _bus_use(
    flows: Iterable[Flow], only: Container[str] | None = None
) -> tuple[dict[str, list[str]], dict[str, list[Subscription]]]:
    """What each service (or each of `only`) publishes on the bus and subscribes to, in flow order."""
    if only is not None:
        flows = [flow for flow in flows if flow.producer in only or flow.consumer in only]
    publishes: dict[str, list[str]] = defaultdict(list)
    subscribes: dict[str, list[Subscription]] = defaultdict(list)
    for flow in flows:
        published = publishes[flow.producer]
        if not published or published[-1] != flow.event:  # an event's flows are consecutive
            published.append(flow.event)
        subscribes[flow.consumer].append(Subscription(flow.event, flow.producer))
    return publishes, subscribes


class _Infrastructure:
    """The kind and owner of every resource, the bus included."""

    def __init__(self, session: Session) -> None:
        self.app = session.app
        self.kinds: dict[str, ResourceKind] = {EVENT_BUS: "event-bus"}
        self.owners: dict[str, str] = {EVENT_BUS: PLATFORM}
        for resource in session.infrastructure:
            self.kinds[resource.id] = resource.kind
            self.owners[resource.id] = resource.owner

    def required(self, context: Context, published: int, subscribed: int) -> tuple[RequiredPort, ...]:
        """The ports a context's service requires, given how many events it publishes and subscribes to."""
        needed: dict[str, str] = {}
        if published or subscribed:
            needed[EVENT_BUS] = _bus_reason(published, subscribed)
        for resource_id in context.uses:
            needed.setdefault(resource_id, "listed in uses")
        return tuple(
            RequiredPort(
                port=resource_id,
                kind=self.kinds[resource_id],
                provider=self.owners[resource_id],
                parameters=parameter_names(self.app, resource_id, self.kinds[resource_id]),
                reason=reason,
            )
            for resource_id, reason in sorted(needed.items())
            if self.owners[resource_id] != context.id
        )


def _services(
    session: Session, publishes: Mapping[str, Sequence[str]], subscribes: Mapping[str, Sequence[Subscription]]
) -> tuple[Service, ...]:
    """The platform and one service per context, by id, with the ports they require and provide."""
    infrastructure = _Infrastructure(session)
    requires: dict[str, tuple[RequiredPort, ...]] = {}
    consumers: dict[str, list[str]] = defaultdict(list)
    for context in session.contexts:
        ports = infrastructure.required(
            context, len(publishes.get(context.id, ())), len(subscribes.get(context.id, ()))
        )
        requires[context.id] = ports
        for port in ports:
            consumers[port.port].append(context.id)

    provided: dict[str, list[ProvidedPort]] = defaultdict(list)
    for resource_id in sorted(infrastructure.kinds):
        kind = infrastructure.kinds[resource_id]
        provided[infrastructure.owners[resource_id]].append(
            ProvidedPort(
                port=resource_id,
                kind=kind,
                parameters=parameter_names(session.app, resource_id, kind),
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
            publishes=tuple(publishes.get(context.id, ())),
            subscribes=tuple(subscribes.get(context.id, ())),
            requires=requires[context.id],
            provides=tuple(provided[context.id]),
        )
        for context in session.contexts
    ]
    services.sort(key=lambda service: service.id)
    return tuple(services)


def _deploy_edges(services: Iterable[Service]) -> tuple[DeployEdge, ...]:
    """One edge provider -> consumer per pair, with the ports behind it."""
    edge_ports: dict[tuple[str, str], list[str]] = defaultdict(list)
    for service in services:
        for port in service.requires:
            edge_ports[(port.provider, service.id)].append(port.port)
    return tuple(
        DeployEdge(provider, consumer, tuple(ports)) for (provider, consumer), ports in sorted(edge_ports.items())
    )


# ---------------------------------------------------------------- the incremental derivation
#
# What the architecture says about one event depends only on that event and the policies
# reacting to it: its flows, and what the event rules of `model.lint` find. A new version
# of the session is compared with the last one record by record, by identity (an edit
# shares every record it did not change), so only the events and policies an edit
# touched are looked at again: their flows are spliced into the timeline's, their problems
# into each rule's sorted list. Services depend on a few hundred contexts and resources at
# most, and are derived again when what they depend on changes. A first derivation, or an
# edit touching much of the session, takes the direct way: the same steps as
# `derive_fresh`, keeping the indexes the next derivation needs.


class _Unsound(Exception):
    """The session breaks an assumption of the incremental derivation (see `reference_errors`)."""


@dataclass(frozen=True, slots=True)
class _State:
    """What one derivation computed that the next one can reuse.

    Never changed once made: the next derivation copies what it changes. It holds on to
    the session it was derived from, so every record compared by identity stays alive.
    """

    session: Session
    architecture: Architecture
    cycles: list[list[str]]
    keys: list[str]
    """`name_key` of each event, in timeline order."""
    events: dict[str, Event]
    """Each event by its key."""
    flows_at: list[tuple[Flow, ...]]
    """The flows of each event, in timeline order."""
    context_events: dict[str | None, int]
    """How many events each context has (contexts without any are left out)."""
    policy_keys: list[str]
    """`name_key` of each policy's `when`, in order."""
    reactions: dict[str, tuple[Policy, ...]]
    """The policies reacting to each event key, in order (keys without any are left out)."""
    publishes: dict[str, tuple[str, ...]]
    subscribes: dict[str, tuple[Subscription, ...]]
    problems: dict[str, list[Problem]]
    """What each rule finds, sorted by subjects."""


_NOTHING = Session(name="nothing", app="nothing")
"""The session before the first: it has no records."""


class _Kept:
    """What the last derivation left for the next one: at first, that of `_NOTHING`, whose
    architecture has an app no session has, so the first derivation derives every service."""

    state = _State(
        session=_NOTHING,
        architecture=Architecture(app="", services=(), flows=(), deploy_edges=(), deploy_waves=()),
        cycles=[],
        keys=[],
        events={},
        flows_at=[],
        context_events={},
        policy_keys=[],
        reactions={},
        publishes={},
        subscribes={},
        problems={},
    )


_kept = _Kept()

T = TypeVar("T")

_FEW = 64
"""Up to this many touched event keys (or a quarter of the timeline), an edit is derived
incrementally; above, from scratch (keeping the indexes the next derivation needs)."""
_REGROUP_LIMIT = 32
"""Above this many event keys touched by one edit, policies are grouped (or flows placed) in one pass."""
_NO_PROBLEMS = (None,) * len(EVENT_RULES)


@dataclass(frozen=True, slots=True)
class _Change:
    """One event key an edit touched: the flows and event-rule problems of its event, before and after."""

    key: str
    flows_before: tuple[Flow, ...]
    flows_after: tuple[Flow, ...]
    problems_before: tuple[Problem | None, ...]
    problems_after: tuple[Problem | None, ...]


def _event_facts(
    event: Event | None, reactions: tuple[Policy, ...]
) -> tuple[tuple[Flow, ...], tuple[Problem | None, ...]]:
    if event is None:
        return (), _NO_PROBLEMS
    flows = _event_flows(event, reactions)
    return flows, event_problems(event, bool(reactions), tuple(flow.consumer for flow in flows))


@dataclass(frozen=True, slots=True)
class _Diff:
    """Where one tuple of records differs from the next version of it.

    The records from `start` to `old_end` became those from `start` to `new_end`; or,
    when `places` is set, only the records at those places were replaced, each by one.
    """

    start: int
    old_end: int
    new_end: int
    places: list[int] | None

    @staticmethod
    def of(old: tuple[T, ...], new: tuple[T, ...]) -> _Diff:
        """Compared by identity: an edit keeps every record it did not change."""
        start, tail = shared_ends(old, new)
        old_end, new_end = len(old) - tail, len(new) - tail
        places = None
        if old_end == new_end:  # replaced in place (moving a record replaces those it passes)
            differ = map(operator.is_not, old[start:old_end], new[start:new_end])
            places = list(compress(range(start, new_end), differ))
        return _Diff(start, old_end, new_end, places)

    def old_items(self, items: Sequence[T]) -> list[T]:
        """What was at the changed places of the previous version (or of a list aligned with it)."""
        if self.places is None:
            return list(items[self.start : self.old_end])
        return [items[place] for place in self.places]

    def new_items(self, items: Sequence[T]) -> list[T]:
        """What is at the changed places of the new version (or of a list aligned with it)."""
        if self.places is None:
            return list(items[self.start : self.new_end])
        return [items[place] for place in self.places]

    def apply(self, items: list[T], replacements: list[T]) -> list[T]:
        """A list aligned with the previous version, made to align with the new one (`items` is kept)."""
        if self.places is None:
            return [*items[: self.start], *replacements, *items[self.old_end :]]
        if not self.places:
            return items
        updated = list(items)
        for place, item in zip(self.places, replacements, strict=True):
            updated[place] = item
        return updated


class _Update:
    """One derivation from the state of the previous one: `state` runs the steps in order."""

    def __init__(self, previous: _State, session: Session) -> None:
        self.previous = previous
        self.session = session
        self.keys = previous.keys
        self.events = previous.events
        self.context_events = previous.context_events
        self.policy_keys = previous.policy_keys
        self.reactions = previous.reactions
        self.touched: dict[str, None] = {}
        """Event keys whose event or reactions may have changed, in a set that keeps order."""
        self.diff = _Diff(0, 0, 0, [])
        """Where the timeline changed (nowhere, until `diff_events`)."""

    def state(self) -> _State:
        previous, session = self.previous, self.session
        self.diff_events()
        self.diff_policies()
        bulk = len(self.touched) > max(_FEW, len(session.events) // 4)
        if bulk:
            changes = None
            flows_at = self.all_flows()
            flows = tuple(chain.from_iterable(flows_at))
            published, subscribed = _bus_use(flows)
            publishes = {context_id: tuple(names) for context_id, names in published.items()}
            subscribes = {context_id: tuple(items) for context_id, items in subscribed.items()}
            bus_contexts = {*publishes, *subscribes, *previous.publishes, *previous.subscribes}
        else:
            changes = self.changes()
            flows_at = self.spliced_flows(changes)
            flows, publishes, subscribes, bus_contexts = self.bus(changes, flows_at)
        services, edges, waves, cycles = self.services(publishes, subscribes, bus_contexts)
        architecture = Architecture(
            app=session.app, services=services, flows=flows, deploy_edges=edges, deploy_waves=waves
        )
        problems = {
            item.id: self.problems(item, architecture, cycles, changes)
            if changes is not None and item.id in previous.problems
            else sorted(item.check(session, architecture, cycles), key=by_subjects)
            for item in rules_in_order()
        }
        return _State(
            session=session,
            architecture=Architecture(
                app=session.app,
                services=services,
                flows=flows,
                deploy_edges=edges,
                deploy_waves=waves,
                problems=tuple(chain.from_iterable(problems.values())),
            ),
            cycles=cycles,
            keys=self.keys,
            events=self.events,
            flows_at=flows_at,
            context_events=self.context_events,
            policy_keys=self.policy_keys,
            reactions=self.reactions,
            publishes=publishes,
            subscribes=subscribes,
            problems=problems,
        )

    def diff_events(self) -> None:
        """Index the events that changed, and count the events of each context again."""
        old, new = self.previous.session.events, self.session.events
        if new is old:
            return
        self.diff = diff = _Diff.of(old, new)
        gone, arriving = diff.old_items(old), diff.new_items(new)
        keys = [name_key(event.name) for event in arriving]
        gone_keys = diff.old_items(self.previous.keys)
        self.keys = diff.apply(self.keys, keys)
        if len(gone) + len(arriving) > len(new) // 2:  # most of the timeline: index it again
            self.events = dict(zip(self.keys, new, strict=True))
            if len(self.events) != len(new):
                raise _Unsound
            self.context_events = dict(Counter(event.context for event in new))
            self.touched.update(dict.fromkeys(self.previous.events))
            self.touched.update(dict.fromkeys(self.keys))
            return
        self.events = events = dict(self.events)
        for key in gone_keys:
            del events[key]
        for key, event in zip(keys, arriving, strict=True):
            if key in events:
                raise _Unsound
            events[key] = event
        self.touched.update(dict.fromkeys(gone_keys))
        self.touched.update(dict.fromkeys(keys))
        self.context_events = counts = dict(self.context_events)
        for event in gone:
            counts[event.context] -= 1
            if not counts[event.context]:
                del counts[event.context]
        for event in arriving:
            counts[event.context] = counts.get(event.context, 0) + 1

    def diff_policies(self) -> None:
        """Group the policies by event key again where they changed."""
        previous, old, new = self.previous, self.previous.session.policies, self.session.policies
        if new is old:
            return
        diff = _Diff.of(old, new)
        keys = [name_key(policy.when) for policy in diff.new_items(new)]
        self.policy_keys = policy_keys = diff.apply(previous.policy_keys, keys)
        regroup = dict.fromkeys([*diff.old_items(previous.policy_keys), *keys])
        if len(regroup) > _REGROUP_LIMIT:
            self.reactions = _grouped(new, policy_keys)
            self.touched.update(
                (key, None)
                for key in {**previous.reactions, **self.reactions}
                if previous.reactions.get(key) != self.reactions.get(key)
            )
            return
        self.reactions = reactions = dict(previous.reactions)
        for key in regroup:
            group = _reactions_to(key, new, policy_keys)
            if group:
                reactions[key] = group
            else:
                reactions.pop(key, None)
        self.touched.update(regroup)

    def all_flows(self) -> list[tuple[Flow, ...]]:
        """The flows of each event, in timeline order, derived from scratch."""
        events = self.events
        if not events.keys() >= self.reactions.keys():
            raise _Unsound
        flows = {key: _event_flows(events[key], reactions) for key, reactions in self.reactions.items()}
        return list(map(flows.get, self.keys, repeat(())))

    def changes(self) -> list[_Change]:
        """What changed about each touched event key."""
        previous, changes = self.previous, []
        for key in self.touched:
            old_event, old_reactions = previous.events.get(key), previous.reactions.get(key, ())
            event, reactions = self.events.get(key), self.reactions.get(key, ())
            if event is None and reactions:
                raise _Unsound
            flows_before, problems_before = _event_facts(old_event, old_reactions)
            if event is old_event and reactions is old_reactions:
                flows_after, problems_after = flows_before, problems_before
            else:
                flows_after, problems_after = _event_facts(event, reactions)
            changes.append(_Change(key, flows_before, flows_after, problems_before, problems_after))
        return changes

    def spliced_flows(self, changes: list[_Change]) -> list[tuple[Flow, ...]]:
        """The flows of each event in timeline order: the previous ones, replaced where they changed."""
        flows_at, keys, diff = self.previous.flows_at, self.keys, self.diff
        after = {change.key: change.flows_after for change in changes}
        flows_at = diff.apply(flows_at, [after[key] for key in diff.new_items(keys)])
        placed = set(diff.new_items(keys))
        elsewhere = [
            change.key
            for change in changes
            if change.key not in placed and change.key in self.events and change.flows_after != change.flows_before
        ]
        if len(elsewhere) > _REGROUP_LIMIT:
            return [after.get(key, flows) for key, flows in zip(keys, flows_at, strict=True)]
        if elsewhere and flows_at is self.previous.flows_at:
            flows_at = list(flows_at)
        for key in elsewhere:
            flows_at[keys.index(key)] = after[key]
        return flows_at

    def bus(
        self, changes: list[_Change], flows_at: list[tuple[Flow, ...]]
    ) -> tuple[tuple[Flow, ...], dict[str, tuple[str, ...]], dict[str, tuple[Subscription, ...]], set[str]]:
        """The flows, and what each service publishes and subscribes to, again for those whose flows
        changed or moved (returned last)."""
        previous = self.previous
        bus_contexts = {
            context_id
            for change in changes
            for flow in (*change.flows_before, *change.flows_after)
            for context_id in (flow.producer, flow.consumer)
        }
        if not bus_contexts:
            return previous.architecture.flows, previous.publishes, previous.subscribes, bus_contexts
        flows = tuple(chain.from_iterable(flows_at))
        published, subscribed = _bus_use(flows, bus_contexts)
        publishes, subscribes = dict(previous.publishes), dict(previous.subscribes)
        for context_id in bus_contexts:
            publishes[context_id] = tuple(published.get(context_id, ()))
            subscribes[context_id] = tuple(subscribed.get(context_id, ()))
        return flows, publishes, subscribes, bus_contexts

    def services(
        self,
        publishes: dict[str, tuple[str, ...]],
        subscribes: dict[str, tuple[Subscription, ...]],
        bus_contexts: set[str],
    ) -> tuple[tuple[Service, ...], tuple[DeployEdge, ...], tuple[tuple[str, ...], ...], list[list[str]]]:
        """The services, deploy edges, waves and cycles, derived again only where they may have changed.

        `bus_contexts`: the contexts whose use of the bus may have changed.
        """
        previous, session, before = self.previous, self.session, self.previous.session
        architecture = previous.architecture
        if (
            session.app == architecture.app
            and session.contexts is before.contexts
            and session.infrastructure is before.infrastructure
        ):
            changed = [
                context_id
                for context_id in bus_contexts
                if publishes.get(context_id, ()) != previous.publishes.get(context_id, ())
                or subscribes.get(context_id, ()) != previous.subscribes.get(context_id, ())
            ]
            services = _services_changed(session, architecture.services, publishes, subscribes, changed)
            if services is not None:  # the same ports: the same deploy graph
                return services, architecture.deploy_edges, architecture.deploy_waves, previous.cycles
        services = _services(session, publishes, subscribes)
        edges = _deploy_edges(services)
        service_ids = [service.id for service in services]
        if edges == architecture.deploy_edges and service_ids == [service.id for service in architecture.services]:
            return services, edges, architecture.deploy_waves, previous.cycles
        waves, cycles = _waves(service_ids, edges)
        return services, edges, waves, cycles

    def problems(
        self, item: Rule, architecture: Architecture, cycles: list[list[str]], changes: list[_Change]
    ) -> list[Problem]:
        """What one rule finds, sorted: updated where it looks at one event at a time, found again otherwise."""
        previous, session = self.previous, self.session
        if item.id == "empty-context":
            if (
                session.contexts is previous.session.contexts
                and self.context_events.keys() == previous.context_events.keys()
            ):
                return previous.problems[item.id]
            used = self.context_events
            return sorted(
                (empty_context_problem(context.id) for context in session.contexts if context.id not in used),
                key=by_subjects,
            )
        if item.id not in EVENT_RULES:  # the rules about services, resources and hotspots: few, and quick
            return sorted(item.check(session, architecture, cycles), key=by_subjects)
        index = EVENT_RULES.index(item.id)
        problems = previous.problems[item.id]
        for change in changes:
            old, new = change.problems_before[index], change.problems_after[index]
            if old == new:
                continue
            if problems is previous.problems[item.id]:
                problems = list(problems)
            if old is not None:
                position = bisect_left(problems, old.subjects, key=by_subjects)
                while problems[position] != old:  # another problem about the same subjects
                    position += 1
                del problems[position]
            if new is not None:
                insort(problems, new, key=by_subjects)
        return problems


def _services_changed(
    session: Session,
    services: tuple[Service, ...],
    publishes: Mapping[str, Sequence[str]],
    subscribes: Mapping[str, Sequence[Subscription]],
    changed: list[str],
) -> tuple[Service, ...] | None:
    """`services` with those of the `changed` contexts updated, when each keeps the same ports.

    None when a port is gained or lost: that changes what other services provide too.
    """
    if not changed:
        return services
    contexts = {context.id: context for context in session.contexts}
    positions = {service.id: index for index, service in enumerate(services)}
    if len(contexts) != len(session.contexts) or len(positions) != len(services):
        return None
    infrastructure = _Infrastructure(session)
    updated = list(services)
    for context_id in changed:
        if context_id not in contexts or context_id not in positions:
            return None
        old = services[positions[context_id]]
        published, subscribed = publishes.get(context_id, ()), subscribes.get(context_id, ())
        requires = infrastructure.required(contexts[context_id], len(published), len(subscribed))
        if [port.port for port in requires] != [port.port for port in old.requires]:
            return None
        updated[positions[context_id]] = Service(
            id=old.id,
            name=old.name,
            owner=old.owner,
            source=old.source,
            publishes=tuple(published),
            subscribes=tuple(subscribed),
            requires=requires,
            provides=old.provides,
        )
    return tuple(updated)


def _grouped(policies: tuple[Policy, ...], keys: list[str]) -> dict[str, tuple[Policy, ...]]:
    groups: dict[str, list[Policy]] = defaultdict(list)
    for policy, key in zip(policies, keys, strict=True):
        groups[key].append(policy)
    return {key: tuple(group) for key, group in groups.items()}


def _reactions_to(key: str, policies: tuple[Policy, ...], keys: list[str]) -> tuple[Policy, ...]:
    """The policies whose `when` has this key, in order."""
    found = []
    with contextlib.suppress(ValueError):
        index = keys.index(key)
        while True:
            found.append(policies[index])
            index = keys.index(key, index + 1)
    return tuple(found)


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
    sorter = TopologicalSorter(dict.fromkeys(service_ids, ()))
    for edge in edges:
        sorter.add(edge.consumer, edge.provider)
    try:
        sorter.prepare()
    except CycleError:
        return (), _cycles(service_ids, edges)
    waves = []
    while sorter.is_active():  # what is ready once a whole wave is done is the next wave
        wave = sorter.get_ready()
        waves.append(tuple(sorted(wave)))
        sorter.done(*wave)
    return tuple(waves), []


def _cycles(service_ids: list[str], edges: tuple[DeployEdge, ...]) -> list[list[str]]:
    """One cycle in each knot of the deploy graph (a strongly connected part of several services)."""
    import networkx as nx  # only for a graph with a cycle: importing it costs more than starting the app

    graph = nx.DiGraph()
    graph.add_nodes_from(service_ids)
    graph.add_edges_from((edge.provider, edge.consumer) for edge in edges)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1:
            cycle = nx.find_cycle(graph.subgraph(component))
            cycles.append([provider for provider, _consumer in cycle])
    return sorted(cycles)
