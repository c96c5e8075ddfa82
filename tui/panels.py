"""The derived architecture beside the board: services and ports, flows, waves, problems.

The panels only show what a worker derived off the main thread; they never derive. At 10,000
events each tab holds thousands of lines, so each draws only the lines on screen and keeps
every block it built by a key that determines it (tui/lines.py, tui/problemlist.py); its
blocks are asked for only when it is laid out or drawn. An edit costs the panels a few
milliseconds however big the session, and a hidden tab costs nothing until it is shown.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane

from tui.lines import LazyText
from tui.problemlist import ProblemList, problem_block, problem_line, visible

if TYPE_CHECKING:  # the derivation is imported by the worker that runs it, after the first frame
    from model.derive import Architecture, Flow, Service
    from model.lint import Problem

END = "end"
"""The key of the empty last line that a text ending in a line break shows."""


def _blocks_text(blocks: Sequence[Text]) -> Text:
    """The whole text of a tab, as one Text (for tests and tools; the tabs draw block by block)."""
    return Text("\n").join(blocks)


# ------------------------------------------------------------ services


def service_keys(architecture: Architecture) -> list[Hashable]:
    """One block per service, in deploy order; a service's block depends on it and its wave."""
    wave_of = {service_id: number for number, wave in enumerate(architecture.deploy_waves, 1) for service_id in wave}
    services = sorted(architecture.services, key=lambda item: (wave_of.get(item.id) or 0, item.id))
    return [*((service, wave_of.get(service.id)) for service in services), END]


def service_block(key: Any) -> Text:
    if key == END:
        return Text()
    service: Service = key[0]
    wave: int | None = key[1]
    text = Text()
    text.append(visible(service.name), "bold")
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
        text.append(f"  sends    {len(service.publishes)} event{'s' if len(service.publishes) != 1 else ''}\n", "dim")
    return text  # its last line break makes the blank line between services


def services_text(architecture: Architecture) -> Text:
    return _blocks_text([service_block(key) for key in service_keys(architecture)])


# ------------------------------------------------------------ flows

NO_FLOWS = "no flows"


def flow_keys(architecture: Architecture) -> Sequence[Hashable]:
    if not architecture.flows:
        return (NO_FLOWS,)
    return (*architecture.flows, END)


def flow_block(key: Hashable) -> Text:
    if key == NO_FLOWS:
        return Text("No event crosses a context yet: add a policy (p) in another context.", "dim italic")
    if key == END:
        return Text()
    flow = cast("Flow", key)
    text = Text()
    text.append(f"{flow.producer} → {flow.consumer}\n", "bold")
    text.append("  ")
    text.append(visible(flow.event), "black on #ffb347")
    if flow.commands:
        text.append("  ▸ " + visible(", ".join(flow.commands)), "#4da3ff")
    return text


def flows_text(architecture: Architecture) -> Text:
    return _blocks_text([flow_block(key) for key in flow_keys(architecture)])


# ------------------------------------------------------------ waves

CYCLE = "cycle"
WAVES_HEADER = "header"


def wave_keys(architecture: Architecture) -> list[Hashable]:
    """A block per line: the header, each wave's title, each service with what it waits for."""
    if not architecture.deploy_waves:
        return [CYCLE]
    before: dict[str, list[str]] = {}
    for edge in architecture.deploy_edges:
        before.setdefault(edge.consumer, []).append(edge.provider)
    keys: list[Hashable] = [WAVES_HEADER]
    for number, wave in enumerate(architecture.deploy_waves, start=1):
        keys.append(("wave", number))
        keys += [("service", service_id, tuple(sorted(before.get(service_id, ())))) for service_id in wave]
    keys.append(END)
    return keys


def wave_block(key: Hashable) -> Text:
    """A line of the waves, all of it dim underneath (as one dim text it was)."""
    if key == CYCLE:
        return Text("The deploy graph has a cycle: no order can deploy it. See Problems.", "bold red")
    if key == WAVES_HEADER:
        return Text("Deploy in this order; a wave's services can deploy in parallel.\n", "dim")
    text = Text(style="dim")
    if key == END:
        return text
    assert isinstance(key, tuple)
    if key[0] == "wave":
        text.append(f"Wave {key[1]}", "bold")
        return text
    _, service_id, before = key
    text.append(f"  {service_id}")
    if before:
        text.append(f"  after {', '.join(before)}", "dim")
    return text


def waves_text(architecture: Architecture) -> Text:
    return _blocks_text([wave_block(key) for key in wave_keys(architecture)])


# ------------------------------------------------------------ problems


def problem_prompt(problem: Problem) -> Text:
    return problem_block(problem_line(problem))


# ------------------------------------------------------------ the panel


def problems_label(architecture: Architecture) -> str:
    """The Problems tab's label: how many errors and warnings."""
    errors = sum(problem.severity == "error" for problem in architecture.problems)
    warnings = sum(problem.severity == "warning" for problem in architecture.problems)
    return f"Problems {errors}✖ {warnings}⚠"


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
        self._label = ""
        self._tabs = "none"  # "none", "mounting", then "mounted"
        self._latest: Architecture | None = None  # the last derivation given: shown, or once the tabs are there

    def compose(self) -> ComposeResult:
        # The tabs come with the first derivation, after the board's first frame: mounting
        # them takes as long as all else that frame shows (45 ms), and until then they would
        # have nothing to show. Mounted empty, then filled, they were laid out twice more.
        yield Static("deriving…", id="panel-waiting")

    async def _mount_tabs(self) -> None:
        architecture = self._latest
        assert architecture is not None  # `show` mounts the tabs
        views = LazyText(id="services"), LazyText(id="flows"), LazyText(id="waves"), ProblemList(id="problems")
        self._fill(architecture, *views)  # before they are mounted: laid out once, full
        self._label = problems_label(architecture)
        services, flows, waves, problems = views
        tabs = TabbedContent()
        for pane in (
            TabPane("Services", VerticalScroll(services), id="tab-services"),
            TabPane("Flows", VerticalScroll(flows), id="tab-flows"),
            TabPane("Waves", VerticalScroll(waves), id="tab-waves"),
            # The box takes the pane's height, so a long list stops at the pane and scrolls
            # (an OptionList here grew as tall as all its problems, clipped by the panel).
            TabPane(self._label, Vertical(problems, id="problems-box"), id="tab-problems"),
        ):
            tabs.compose_add_child(pane)  # as `with TabbedContent():` in a compose would
        await self.query_one("#panel-waiting").remove()
        await self.mount(tabs)
        self._tabs = "mounted"
        latest = self._latest
        if latest is not None and latest is not architecture:
            self.show(latest)  # a newer derivation came while they mounted

    def show(self, architecture: Architecture) -> None:
        """Show a new derivation: the tab on screen catches up now, the others when shown."""
        self._latest = architecture
        if self._tabs != "mounted":
            if self._tabs == "none":
                self._tabs = "mounting"
                self.call_later(self._mount_tabs)
            return  # shown as soon as the tabs are there
        services, flows, waves = (self.query_one(f"#{name}", LazyText) for name in ("services", "flows", "waves"))
        self._fill(architecture, services, flows, waves, self.query_one(ProblemList))
        label = problems_label(architecture)
        if label == self._label:
            return
        tab = self.query_one(TabbedContent).get_tab("tab-problems")
        if cell_len(label) == cell_len(self._label):
            # As wide as before: repaint the tab alone. Setting `label` lays the whole screen
            # out again and redraws all of it, 25 ms at 10,000 events, after every edit.
            tab._label = Content(label)
            Static.update(tab, tab._label, layout=False)
        else:
            tab.label = label
        self._label = label

    def _fill(
        self, architecture: Architecture, services: LazyText, flows: LazyText, waves: LazyText, problems: ProblemList
    ) -> None:
        services.set_blocks(lambda: service_keys(architecture), service_block)
        flows.set_blocks(lambda: flow_keys(architecture), flow_block)
        waves.set_blocks(lambda: wave_keys(architecture), wave_block)
        self.problems = architecture.problems
        problems.show(architecture.problems)

    @on(ProblemList.Chosen)
    def jump(self, event: ProblemList.Chosen) -> None:
        event.stop()
        self.post_message(self.ProblemChosen(event.problem))
