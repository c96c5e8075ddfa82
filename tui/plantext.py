"""The plan for a person: services, ports, flows, waves and problems in 80 columns."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator

import click

from model.derive import Architecture, Service
from model.lint import Problem
from model.session import Session

WIDTH = 80
_SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


def plan_lines(session: Session, architecture: Architecture) -> Iterator[str]:
    """The lines of `portstorm plan` without --json (styled; click strips styles off a pipe)."""
    waves = len(architecture.deploy_waves)
    yield click.style(session.name, bold=True) + (
        f"  app {session.app} · {len(architecture.services)} services · {len(architecture.flows)} flows"
        f" · {waves} deploy wave{'s' if waves != 1 else ''}"
    )
    yield ""
    yield _heading("Services")
    # In deploy order: a reader follows the waves from the platform outwards.
    for service in sorted(architecture.services, key=lambda item: (architecture.wave_of(item.id) or 0, item.id)):
        yield from _service_lines(service, architecture.wave_of(service.id))
    yield ""
    yield _heading("Flows over the bus")
    if not architecture.flows:
        yield "  none yet: add a policy in another context to an event"
    for flow in architecture.flows:
        then = f": {', '.join(flow.commands)}" if flow.commands else ""
        yield from _wrapped(f"{flow.producer} -> {flow.consumer}  {flow.event}{then}", "  ", "      ")
    yield ""
    yield _heading("Deploy waves")
    if not architecture.deploy_waves:
        yield "  none: the deploy graph has a cycle (see problems)"
    for number, wave in enumerate(architecture.deploy_waves, start=1):
        yield from _wrapped(_items(wave), f"  {number:>2}  ", "      ")
    yield ""
    yield _heading("Problems") + "  " + problem_counts(architecture.problems)
    for problem in architecture.problems:
        yield from problem_lines(problem)


def problem_counts(problems: tuple[Problem, ...]) -> str:
    """'1 error, 3 warnings, 20 info'."""
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = sum(problem.severity == "warning" for problem in problems)
    infos = sum(problem.severity == "info" for problem in problems)
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}, {infos} info"


def problem_lines(problem: Problem, indent: str = "  ") -> Iterator[str]:
    label = click.style(f"{problem.severity:<7}", fg=_SEVERITY_COLOURS[problem.severity], bold=True)
    yield f"{indent}{label} {problem.rule}"
    yield from _wrapped(problem.message, indent + " " * 8, indent + " " * 8)


def _service_lines(service: Service, wave: int | None) -> Iterator[str]:
    details = [service.name] if service.name != service.id else []
    details += [service.owner] if service.owner else []
    details.append(f"wave {wave}" if wave else "no wave")
    yield "  " + click.style(service.id, bold=True) + "  " + " · ".join(details)
    rows: list[tuple[str, str]] = []
    if service.publishes:
        rows.append(("publishes", _items(service.publishes)))
    if service.subscribes:
        rows.append(("subscribes", _items(f"{item.event} ({item.producer})" for item in service.subscribes)))
    for port in service.requires:
        rows.append(("requires", f"{port.port} from {port.provider}: {port.reason}"))
    for provided in service.provides:
        to = _items(provided.consumers) if provided.consumers else "nobody yet"
        rows.append(("provides", f"{provided.port} to {to}"))
    for label, text in rows:
        yield from _wrapped(text, f"    {label:<12}", " " * 16)


def _heading(text: str) -> str:
    return click.style(text.upper(), bold=True, underline=True)


_KEEP_TOGETHER = "\u00a0"  # textwrap never breaks here; turned back into a space after wrapping


def _items(items: Iterable[str]) -> str:
    """A comma-separated list whose lines break only between items."""
    return ", ".join(item.replace(" ", _KEEP_TOGETHER) for item in items)


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    lines = textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False)
    return [line.replace(_KEEP_TOGETHER, " ") for line in lines] or [first]
