"""What every exporter reads: the session, its derived architecture and the stage."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from model.derive import Architecture, Flow, Service
from model.session import Event, Session, name_key

T = TypeVar("T")


@dataclass(frozen=True)
class ExportContext:
    """The one input of every exporter; exporters never derive anything themselves."""

    session: Session
    architecture: Architecture
    stage: str = "dev"
    graphviz: str | None = field(default=None, compare=False)
    """Path of Graphviz `dot` when it is installed (SVG diagrams), else None."""
    _memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Work several exporters need (the diagrams, their drawings), done once per export."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    @cached_property
    def events_by_key(self) -> dict[str, Event]:
        return {name_key(event.name): event for event in self.session.events}

    def event(self, name: str) -> Event:
        """The event a flow or subscription names."""
        return self.events_by_key[name_key(name)]

    @cached_property
    def bus_name(self) -> str:
        """The EventBridge bus of this app and stage."""
        return f"{self.session.app}-{self.stage}"

    def source(self, service_id: str) -> str:
        """The EventBridge `source` of what a service publishes."""
        return f"{self.session.app}.{service_id}"

    def event_pattern(self, producer: str, events: list[str]) -> dict[str, list[str]]:
        """The EventBridge rule pattern that matches these events of one producer, exactly."""
        return {"source": [self.source(producer)], "detail-type": list(events)}

    def flows_from(self, service_id: str) -> list[Flow]:
        return [flow for flow in self.architecture.flows if flow.producer == service_id]

    def flows_to(self, service_id: str) -> list[Flow]:
        return [flow for flow in self.architecture.flows if flow.consumer == service_id]

    @cached_property
    def bus_services(self) -> list[Service]:
        """Services that publish or subscribe something on the bus."""
        return [service for service in self.architecture.services if service.on_bus]


def identifier(text: str, taken: set[str] | None = None) -> str:
    """A CamelCase identifier (letters and digits) for `text`, unique within `taken`.

    Used where a format allows only plain names (CloudFormation logical ids, AsyncAPI keys).
    """
    words = re.findall(r"[A-Za-z0-9]+", text)
    base = "".join(word[:1].upper() + word[1:] for word in words) or "Item"
    if base[0].isdigit():
        base = "N" + base
    candidate, number = base, 2
    while taken is not None and candidate in taken:
        candidate, number = f"{base}{number}", number + 1
    if taken is not None:
        taken.add(candidate)
    return candidate
