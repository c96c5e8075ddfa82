"""The phases of EventBridge storming, and what each still needs in this session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.session import Session

if TYPE_CHECKING:
    from model.derive import Architecture


@dataclass(frozen=True)
class Phase:
    number: int
    title: str
    hint: str


PHASES = (
    Phase(1, "Collect", "Type every event the room calls out: e, then Enter after each"),
    Phase(2, "Order", "Put events in timeline order: shift+↑ / shift+↓"),
    Phase(3, "Pivotal", "Mark the events that change the story: enter, then pivotal"),
    Phase(4, "Contexts", "Group events into bounded contexts: c creates one, a assigns"),
    Phase(5, "Policies", "Who reacts to what: p on an event; other contexts make flows"),
    Phase(6, "Ports", "Shared infrastructure: i adds a resource, u sets what a context uses"),
    Phase(7, "Review", "Read the problems, then export: x"),
)


def still_missing(phase: Phase, session: Session, architecture: Architecture | None) -> str:  # noqa: PLR0911
    """What the current phase has left to do, in a few words (one answer per phase)."""
    events = session.events
    if phase.number == 1:
        return f"{len(events)} event{'s' if len(events) != 1 else ''} so far"
    if phase.number == 2:
        return f"{len(events)} events on the timeline"
    if phase.number == 3:
        pivotal = sum(event.pivotal for event in events)
        return f"{pivotal} pivotal" if pivotal else "no pivotal event yet"
    if phase.number == 4:
        unsorted = sum(event.context is None for event in events)
        return f"{unsorted} event{'s' if unsorted != 1 else ''} unsorted" if unsorted else "every event has a context"
    if architecture is None:
        return "deriving…"
    if phase.number == 5:
        unhandled = sum(problem.rule == "unhandled-event" for problem in architecture.problems)
        return f"{len(architecture.flows)} flows, {unhandled} events nobody reacts to"
    if phase.number == 6:
        smells = sum(problem.rule == "source-of-existence" for problem in architecture.problems)
        return f"{len(session.infrastructure)} shared resources" + (f", {smells} owned by a service" if smells else "")
    errors = sum(problem.severity == "error" for problem in architecture.problems)
    warnings = sum(problem.severity == "warning" for problem in architecture.problems)
    return f"{errors} errors, {warnings} warnings"
