"""Lint rules: the architectural problems a structurally sound session can still have.

Each rule has a stable id, so tools and people can refer to it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Literal

from model.session import PLATFORM, Event, Session, name_key

if TYPE_CHECKING:
    from model.derive import Architecture

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Problem:
    """Something worth fixing or discussing, found in the derived architecture."""

    severity: Severity
    rule: str
    message: str
    subjects: tuple[str, ...]
    """The ids or names it is about (services, resources, events)."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Callable[[Session, Architecture, list[list[str]]], Iterator[Problem]]


RULES: list[Rule] = []


def rule(rule_id: str, severity: Severity, summary: str) -> Callable[..., Callable[..., Iterator[Problem]]]:
    """Register a lint rule under a stable id."""

    def register(check: Callable[..., Iterator[Problem]]) -> Callable[..., Iterator[Problem]]:
        RULES.append(Rule(rule_id, severity, summary, check))
        return check

    return register


def find_problems(session: Session, architecture: Architecture, cycles: list[list[str]]) -> tuple[Problem, ...]:
    """Run every rule; problems come sorted by severity, rule and subjects."""
    problems = [problem for item in RULES for problem in item.check(session, architecture, cycles)]
    problems.sort(key=lambda problem: (SEVERITY_ORDER[problem.severity], problem.rule, problem.subjects))
    return tuple(problems)


def rules_in_order() -> list[Rule]:
    """The rules in the order their problems are listed: by severity, then id.

    Every rule reports problems under its own id and severity, so listing each rule's
    problems sorted by subjects, rule after rule, gives `find_problems`'s order.
    """
    return sorted(RULES, key=lambda item: (SEVERITY_ORDER[item.severity], item.id))


by_subjects = attrgetter("subjects")
"""The sort key of problems within one rule."""

EVENT_RULES = ("unassigned-event", "event-not-past-tense", "flow-without-fields", "unhandled-event")
"""The rules that look at one event at a time: at what it says, at whether a policy
reacts to it, and at the services it flows to. `event_problems` runs them on one event,
so an incremental derivation re-runs them only for the events an edit touched."""


def event_problems(event: Event, handled: bool, readers: tuple[str, ...]) -> tuple[Problem | None, ...]:
    """What each of EVENT_RULES finds about one event (None: nothing).

    `handled`: some policy reacts to it; `readers`: the services it flows to over the bus.
    """
    return (
        _unassigned_problem(event),
        _past_tense_problem(event.name),
        _fieldless_flow_problem(event.name, readers) if readers and not event.fields else None,
        None if handled else _unhandled_problem(event.name),
    )


def empty_context_problem(context_id: str) -> Problem:
    return Problem("warning", "empty-context", f"context {context_id!r} has no events", (context_id,))


@rule("deploy-cycle", "error", "services that need each other's ports cannot be deployed in any order")
def _deploy_cycles(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    for cycle in cycles:
        path = " -> ".join([*cycle, cycle[0]])
        yield Problem(
            "error",
            "deploy-cycle",
            f"deploy cycle {path}: each needs a port another provides, so none can be deployed first; "
            "move the shared resources to the platform",
            tuple(sorted(cycle)),
        )


@rule("unassigned-event", "warning", "an event that belongs to no bounded context yet")
def _unassigned(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    for event in session.events:
        if event.context is None:
            yield _unassigned_problem_of(event.name)


def _unassigned_problem(event: Event) -> Problem | None:
    return None if event.context is not None else _unassigned_problem_of(event.name)


def _unassigned_problem_of(name: str) -> Problem:
    return Problem("warning", "unassigned-event", f"{name!r} belongs to no context yet", (name,))


# Past participles that do not end in -ed; domain events are usually named with one.
_IRREGULAR_PAST = frozenset(
    """
    arisen awoken been beaten become begun bent bet bid bitten bled blown borne born bought bound
    bred broken brought built burnt burst cast caught chosen clung come cost crept cut dealt done
    drawn dreamt driven drunk dug dwelt eaten fallen fed felt fled flung flown forbidden forecast
    forgiven forgotten frozen found fought given gone got gotten ground grown hung had heard held
    hidden hit hurt kept knelt known laid lain leant leapt learnt left lent let lit lost made meant
    met mislaid mistaken overcome overdrawn overpaid overridden overrun overseen overtaken
    overthrown paid prepaid proven put quit read rebuilt redone refunded remade repaid reset resent
    retaken rewritten ridden risen run rung said seen sent set sewn shaken shed shone shot shown
    shrunk shut slain slept slid sold sought sown spent spilt split spoken spread sprung spun stolen
    stood struck stuck stung stunk sworn swept swollen swum swung taken taught thought thrown told
    torn understood undone underwritten upheld upset withdrawn withheld won worn wound written
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_WORD = re.compile(r"[A-Za-z]+")


def looks_past_tense(name: str) -> bool:
    """A heuristic: does some word of the name read like a past participle?"""
    for word in _WORD.findall(name):
        folded = word.casefold()
        if (len(folded) > 3 and folded.endswith("ed")) or folded in _IRREGULAR_PAST:
            return True
    return False


@rule("event-not-past-tense", "warning", "an event name that does not read like a past-tense fact (a heuristic)")
def _past_tense(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    for event in session.events:
        problem = _past_tense_problem(event.name)
        if problem is not None:
            yield problem


def _past_tense_problem(name: str) -> Problem | None:
    if not _WORD.search(name) or looks_past_tense(name):
        return None
    return Problem(
        "warning",
        "event-not-past-tense",
        f"{name!r} does not read like a past-tense fact such as 'Order Placed' "
        "(a heuristic: ignore it if the name is right)",
        (name,),
    )


@rule("source-of-existence", "warning", "a resource owned by one service and used by another forces a deploy order")
def _source_of_existence(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    requirers: dict[str, list[str]] = defaultdict(list)
    for service in architecture.services:
        for port in service.requires:
            requirers[port.port].append(service.id)
    for resource in session.infrastructure:
        if resource.owner == PLATFORM:
            continue
        users = sorted(requirers.get(resource.id, ()))
        if users:
            yield Problem(
                "warning",
                "source-of-existence",
                f"{resource.id} is owned by {resource.owner} and used by {', '.join(users)}, so {resource.owner} "
                f"must be deployed first and {', '.join(users)} cannot be stood up alone; "
                f"move {resource.id} to the platform",
                (resource.id, resource.owner),
            )


@rule("empty-context", "warning", "a bounded context with no events")
def _empty_contexts(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    used = {event.context for event in session.events}
    for context in session.contexts:
        if context.id not in used:
            yield empty_context_problem(context.id)


@rule("flow-without-fields", "warning", "an event that crosses the bus with no fields: it has no contract")
def _flows_without_fields(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    # A flow names the last event with its key, which is also the last event with its very name.
    by_name = {event.name: event for event in session.events}
    consumers: dict[str, list[str]] = defaultdict(list)
    for flow in architecture.flows:
        consumers[flow.event].append(flow.consumer)
    for event_name, readers in consumers.items():
        if not by_name[event_name].fields:
            yield _fieldless_flow_problem(event_name, tuple(readers))


def _fieldless_flow_problem(name: str, readers: tuple[str, ...]) -> Problem:
    return Problem(
        "warning",
        "flow-without-fields",
        f"{name!r} crosses the bus to {', '.join(readers)} but has no fields: its payload is not a contract yet",
        (name,),
    )


@rule("open-hotspot", "warning", "a question the room raised and has not resolved")
def _open_hotspots(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    for hotspot in session.hotspots:
        if not hotspot.resolved:
            yield _hotspot_problem(hotspot.text, hotspot.about)


@lru_cache(maxsize=1 << 11)  # every derivation lists them all, and they rarely change
def _hotspot_problem(text: str, about: str | None) -> Problem:
    subjects = (about, text) if about else (text,)
    return Problem(
        "warning", "open-hotspot", f"open hotspot: {text}" + (f" (about {about!r})" if about else ""), subjects
    )


@rule("unhandled-event", "info", "an event no policy reacts to")
def _unhandled(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    handled = {name_key(policy.when) for policy in session.policies}
    for event in session.events:
        if name_key(event.name) not in handled:
            yield _unhandled_problem(event.name)


def _unhandled_problem(name: str) -> Problem:
    return Problem("info", "unhandled-event", f"nobody reacts to {name!r}", (name,))


@rule("unused-resource", "info", "shared infrastructure no service uses")
def _unused_resources(session: Session, architecture: Architecture, cycles: list[list[str]]) -> Iterator[Problem]:
    for service in architecture.services:
        for port in service.provides:
            if not port.consumers and port.kind != "event-bus":
                yield Problem("info", "unused-resource", f"no service uses {port.port}", (port.port,))
