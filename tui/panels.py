"""The derived architecture beside the board: services and ports, flows, waves, problems.

The panels only show what a worker derived off the main thread; they never derive.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from model.derive import Architecture
from model.lint import Problem
from tui.board import visible_text

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}


def services_text(architecture: Architecture) -> Text:
    text = Text()
    for service in sorted(architecture.services, key=lambda item: (architecture.wave_of(item.id) or 0, item.id)):
        wave = architecture.wave_of(service.id)
        text.append(visible_text(service.name), "bold")
        text.append(f"  {service.id} · {'wave ' + str(wave) if wave else 'no wave'}\n", "dim")
        for port in service.requires:
            text.append("  needs    ", "dim")
            text.append(port.port, "bold cyan")
            text.append(f" ← {port.provider}\n")
        for provided in service.provides:
            text.append("  provides ", "dim")
            text.append(provided.port, "bold green")
            text.append(f" → {', '.join(provided.consumers) or 'nobody yet'}\n")
        if service.publishes:
            text.append(
                f"  sends    {len(service.publishes)} event{'s' if len(service.publishes) != 1 else ''}\n", "dim"
            )
        text.append("\n")
    return text


def flows_text(architecture: Architecture) -> Text:
    if not architecture.flows:
        return Text("No event crosses a context yet: add a policy (p) in another context.", "dim italic")
    text = Text()
    for flow in architecture.flows:
        text.append(f"{flow.producer} → {flow.consumer}\n", "bold")
        text.append("  ")
        text.append(visible_text(flow.event), "black on #ffb347")
        if flow.commands:
            text.append("  ▸ " + visible_text(", ".join(flow.commands)), "#4da3ff")
        text.append("\n")
    return text


def waves_text(architecture: Architecture) -> Text:
    if not architecture.deploy_waves:
        return Text("The deploy graph has a cycle: no order can deploy it. See Problems.", "bold red")
    text = Text("Deploy in this order; a wave's services can deploy in parallel.\n\n", "dim")
    for number, wave in enumerate(architecture.deploy_waves, start=1):
        text.append(f"Wave {number}\n", "bold")
        for service_id in wave:
            text.append(f"  {service_id}")
            before = architecture.predecessors(service_id)
            text.append(f"  after {', '.join(before)}\n" if before else "\n", "dim")
    return text


def problem_prompt(problem: Problem) -> Text:
    text = Text(f"{problem.severity:<7} ", SEVERITY_STYLE[problem.severity])
    text.append(visible_text(problem.message))
    return text


class ArchitecturePanel(Vertical):
    """Tabs of what the session implies, refreshed after every edit."""

    class ProblemChosen(Message):
        """Enter on a problem: the board jumps to what it is about."""

        def __init__(self, problem: Problem) -> None:
            self.problem = problem
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.problems: tuple[Problem, ...] = ()

    def compose(self) -> ComposeResult:
        with TabbedContent():
            with TabPane("Services", id="tab-services"), VerticalScroll():
                yield Static("deriving…", id="services")
            with TabPane("Flows", id="tab-flows"), VerticalScroll():
                yield Static("", id="flows")
            with TabPane("Waves", id="tab-waves"), VerticalScroll():
                yield Static("", id="waves")
            with TabPane("Problems", id="tab-problems"):
                yield OptionList(id="problems")

    def show(self, architecture: Architecture) -> None:
        self.query_one("#services", Static).update(services_text(architecture))
        self.query_one("#flows", Static).update(flows_text(architecture))
        self.query_one("#waves", Static).update(waves_text(architecture))
        self.problems = architecture.problems
        problems = self.query_one("#problems", OptionList)
        highlighted = problems.highlighted
        problems.clear_options()
        problems.add_options([Option(problem_prompt(problem)) for problem in architecture.problems])
        if highlighted is not None and problems.option_count:
            problems.highlighted = min(highlighted, problems.option_count - 1)
        errors = sum(problem.severity == "error" for problem in architecture.problems)
        warnings = sum(problem.severity == "warning" for problem in architecture.problems)
        self.query_one(TabbedContent).get_tab("tab-problems").label = f"Problems {errors}✖ {warnings}⚠"

    @on(OptionList.OptionSelected, "#problems")
    def jump(self, event: OptionList.OptionSelected) -> None:
        self.post_message(self.ProblemChosen(self.problems[event.option_index]))
