"""The map view's drawing: what it shows, what a per-context view leaves out, and that it lines up.

The checks read the drawing back as a person would: boxes by their corners, the arrows in
the gap left of each box, the rows of the events list.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

import pytest
from rich.cells import cell_len
from rich.color import Color
from rich.console import Console
from rich.style import Style
from rich.text import Text

from exports.context import ExportContext
from exports.diagrams import _neighbourhood
from model.derive import Architecture, derive
from model.session import Context, Event, Policy, Resource, Session
from model.sessionfile import load_session
from tests.conftest import HOSTILE_TEXTS, SAMPLES, hostile_session, session_from
from tests.test_derive import CYCLE
from tui.mapdraw import BOX_WIDTH, MAX_WIDTH, draw_map, visible

CORNERS = {"╭": "╮│╰╯", "╔": "╗║╚╝", "┏": "┓┃┗┛"}
"""Top-left corner: top-right, side, bottom-left and bottom-right of the same kind of box."""


def sample(name: str) -> tuple[Session, Architecture]:
    session = load_session(SAMPLES / f"{name}.yaml")
    return session, derive(session)


def hostile_names_session() -> Session:
    """The hostile session plus contexts named with escape sequences, tabs, bidi overrides, ZWJ emoji and markup."""
    base = hostile_session()
    extra = tuple(
        Context(id=f"h{index}", name=f"{text} \x1b[31m\t\u202eevil 👨‍👩‍👧 ❤️ [bold red]x[/] 注文")
        for index, text in enumerate(HOSTILE_TEXTS)
    )
    return base.model_copy(update={"contexts": base.contexts + extra})


@dataclass
class Box:
    top: int
    left: int
    """The cell of the left border."""
    bottom: int
    rows: list[str]
    """The text inside, stripped."""

    def service(self, architecture: Architecture) -> str:
        """The id, on the row after the name's (a name may be the id, too)."""
        return self.rows[self.name_rows(architecture)]

    def name_rows(self, architecture: Architecture) -> int:
        ids = {service.id for service in architecture.services}
        return next(index for index, row in enumerate(self.rows) if index and row in ids)


def cells(row: str) -> list[tuple[int, str]]:
    """Each character with the cell it starts in."""
    return [(cell_len(row[:index]), char) for index, char in enumerate(row)]


def cut(row: str, start: int, end: int) -> str:
    """The characters starting in cells start to end - 1."""
    return "".join(char for cell, char in cells(row) if start <= cell < end)


def find_boxes(lines: list[Text]) -> list[Box]:
    """Every box, asserting that its borders line up: each of its rows is BOX_WIDTH cells wide."""
    rows = [line.plain for line in lines]
    found = []
    start = next(index for index, row in enumerate(rows) if row.startswith("DEPLOY ORDER"))  # after the legend
    for top, row in enumerate(rows[start:], start=start):
        for left, char in cells(row):
            if char not in CORNERS:
                continue
            top_right, side, bottom_left, bottom_right = CORNERS[char]
            right = left + BOX_WIDTH - 1
            assert cut(row, right, right + 1) == top_right, row
            inside = []
            for bottom in range(top + 1, len(rows)):
                edges = cut(rows[bottom], left, left + 1), cut(rows[bottom], right, right + 1)
                if edges == (bottom_left, bottom_right):
                    break
                assert edges == (side, side), rows[bottom]
                inside.append(cut(rows[bottom], left + 1, right).strip())
            found.append(Box(top, left, bottom, inside))
    return found


def arrows(lines: list[Text], architecture: Architecture) -> dict[tuple[str, str], tuple[str, ...]]:
    """The deploy arrows read from the gap left of each box: (provider, consumer) to the ports."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for box in find_boxes(lines):
        gap = [
            re.split("[│║┃╮╗┓╯╝┛]", cut(lines[row].plain, 0, box.left))[-1].strip()
            for row in range(box.top + 1, box.bottom)
        ]
        provider = None
        for text in filter(None, gap):
            if match := re.fullmatch(r"(\S+) ─+▶", text):
                provider = match[1]
                found[(provider, box.service(architecture))] = ()
            else:
                assert provider is not None, gap
                found[(provider, box.service(architecture))] += (text,)
    return found


def routes(lines: list[Text]) -> dict[tuple[str, str], str]:
    """The events list: (producer, consumer) to its events as one text."""
    rows = [line.plain for line in lines]
    start = next(index for index, row in enumerate(rows) if row.startswith("EVENTS OVER THE BUS"))
    found: dict[tuple[str, str], str] = {}
    producer = consumer = ""
    for row in rows[start + 1 :]:
        if match := re.match(r"  (\S*) *──▶ (\S+) +(.*)$", row):
            producer, consumer = match[1] or producer, match[2]
            found[(producer, consumer)] = match[3]
        elif row.strip() and consumer:
            found[(producer, consumer)] += ", " + row.strip()
    return found


def expected_routes(architecture: Architecture, focus: str | None = None) -> dict[tuple[str, str], str]:
    events: dict[tuple[str, str], list[str]] = {}
    for flow in architecture.flows:
        if focus in (None, flow.producer, flow.consumer):
            events.setdefault((flow.producer, flow.consumer), []).append(visible(flow.event))
    return {route: ", ".join(names) for route, names in events.items()}


@pytest.mark.parametrize("name", ["ecommerce", "back-office"])
def test_a_sample_map_shows_every_service_in_its_wave_every_port_and_every_event(name: str) -> None:
    _session, architecture = sample(name)
    lines = draw_map(architecture)
    rows = [line.plain for line in lines]
    boxes = {box.service(architecture): box for box in find_boxes(lines)}
    assert set(boxes) == {service.id for service in architecture.services}
    for service in architecture.services:
        box = boxes[service.id]
        assert box.rows[:2] == [service.name, service.id]
        provides = box.rows[box.rows.index("provides") + 1 :] if service.provides else []
        assert [row for row in provides if row] == [port.port for port in service.provides]
    for number, wave in enumerate(architecture.deploy_waves, start=1):
        header = next(row for row in rows if f" Wave {number} " in row)
        column = cell_len(header[: header.index(f" Wave {number} ")])
        assert {boxes[service_id].left for service_id in wave} == {column}
    assert arrows(lines, architecture) == {
        (edge.provider, edge.consumer): edge.ports for edge in architecture.deploy_edges
    }
    assert routes(lines) == expected_routes(architecture)


def test_the_back_office_map_draws_the_hidden_deploy_order() -> None:
    _session, architecture = sample("back-office")
    lines = draw_map(architecture)
    assert arrows(lines, architecture) == {
        ("platform", "finance"): ("event-bus",),
        ("finance", "hr"): ("user-pool",),
        ("platform", "hr"): ("event-bus",),
    }
    boxes = {box.service(architecture): box for box in find_boxes(lines)}
    assert boxes["platform"].left < boxes["finance"].left < boxes["hr"].left
    assert boxes["finance"].rows[-2:] == ["provides", "user-pool"]


@pytest.mark.parametrize("session", [sample("ecommerce")[0], sample("back-office")[0], hostile_session()])
def test_a_focus_view_shows_what_the_exported_per_context_diagram_shows(session: Session) -> None:
    architecture = derive(session)
    for context in session.contexts:
        graph = _neighbourhood(ExportContext(session, architecture), context.id)
        lines = draw_map(architecture, context.id)
        boxes = find_boxes(lines)
        assert {box.service(architecture) for box in boxes} == {node.key for node in graph.nodes}
        assert arrows(lines, architecture) == {
            (edge.source, edge.target): tuple(edge.label[0].split(", "))
            for edge in graph.edges
            if edge.kind == "deploy"
        }
        assert routes(lines) == expected_routes(architecture, context.id)
        (focused,) = [box for box in boxes if box.service(architecture) == context.id]
        assert lines[focused.top].plain[focused.left :].startswith("┏")


def test_a_focus_view_leaves_out_the_rest() -> None:
    _session, architecture = sample("ecommerce")
    text = "\n".join(line.plain for line in draw_map(architecture, "customers"))
    assert text.startswith("Customers (customers) and its neighbours")
    for absent in ("Orders", "Catalog", "Order Placed", "Refund Issued", "user-pool ──"):
        assert absent not in text
    assert "Customer Registered" in text


def test_an_unknown_focus_is_refused() -> None:
    with pytest.raises(ValueError, match="no service 'nope'"):
        draw_map(sample("ecommerce")[1], "nope")


def test_a_deploy_cycle_is_said_in_red_at_the_top_and_the_services_have_no_waves() -> None:
    architecture = derive(session_from(CYCLE))
    lines = draw_map(architecture)
    text = "\n".join(line.plain for line in lines)
    cycle = next(line for line in lines[:5] if line.plain.startswith("✖ deploy cycle"))
    assert "finance -> hr -> finance" in text or "hr -> finance -> hr" in text
    assert all(Style.parse(str(span.style)).color == Color.parse("#ff5252") for span in cycle.spans)
    assert "Wave" not in text
    assert "No waves" in text
    assert {box.service(architecture) for box in find_boxes(lines)} == {"platform", "finance", "hr"}
    assert arrows(lines, architecture) == {("finance", "hr"): ("user-pool",), ("hr", "finance"): ("org-chart",)}


def test_hostile_names_are_shown_literally_on_one_line_and_boxes_line_up() -> None:
    session = hostile_names_session()
    architecture = derive(session)
    for focus in (None, "orders", "h4"):
        lines = draw_map(architecture, focus)
        text = "\n".join(line.plain for line in lines)
        assert not [char for char in text if char != "\n" and unicodedata.category(char) in {"Cc", "Zl", "Zp"}]
        assert "\u202e" not in text
        boxes = find_boxes(lines)  # asserts every row of every box is BOX_WIDTH cells wide
        shown = {box.service(architecture) for box in boxes}
        for service in architecture.services:
            if service.id in shown:
                box = next(box for box in boxes if box.service(architecture) == service.id)
                name = "".join(box.rows[: box.name_rows(architecture)])
                assert name.replace(" ", "") == visible(service.name).replace(" ", "")
        assert routes(lines) == expected_routes(architecture, focus)
    text = "\n".join(line.plain for line in draw_map(architecture))
    for literal in ("[bold red]x[/]", "<script>alert(1)</script>", "line one⏎line two", "␛[31m␉", "👨‍👩‍👧", "注文"):
        assert literal in text
    assert not any("red" in str(span.style) for line in draw_map(architecture) for span in line.spans)


def test_visible_replaces_what_a_terminal_would_act_on() -> None:
    assert visible("Order Placed") == "Order Placed"
    assert visible("a\r\nb\nc\rd\u2028e") == "a⏎b⏎c⏎d⏎e"
    assert visible("\x1b[31m\t\x00\x7f\x9b") == "␛[31m␉␀␡�"
    assert visible("\u202eevil\u2066") == "�evil�"
    assert visible("👨‍👩‍👧 ❤️ 注文") == "👨‍👩‍👧 ❤️ 注文"


@pytest.mark.parametrize("name", ["ecommerce", "back-office"])
def test_sample_maps_fit_in_120_columns_and_print_unchanged(name: str) -> None:
    session, architecture = sample(name)
    for focus in (None, *(context.id for context in session.contexts)):
        lines = draw_map(architecture, focus)
        assert max(line.cell_len for line in lines) <= MAX_WIDTH
        console = Console(record=True, width=MAX_WIDTH, color_system="truecolor", file=io.StringIO())
        for line in lines:
            console.print(line)
        assert console.export_text().splitlines() == [line.plain for line in lines]


def test_the_map_is_deterministic() -> None:
    session = hostile_names_session()
    assert draw_map(derive(session)) == draw_map(derive(session))


def big_session(contexts: int = 200, events: int = 10_000) -> Session:
    """A workshop far bigger than a room produces: each context's events go to three others."""
    resources = [Resource(id=f"r{number}", kind="table", owner=f"c{number * 10:03d}") for number in range(19)]
    return Session(
        name="Big",
        app="big",
        contexts=tuple(
            Context(
                id=f"c{index:03d}",
                name=f"Context {index} 注文 🎉",
                uses=tuple(f"r{number}" for number in range(19) if number * 10 < index and (index + number) % 7 == 0),
            )
            for index in range(contexts)
        ),
        events=tuple(
            Event(name=f"Thing {index} Happened", context=f"c{index % contexts:03d}") for index in range(events)
        ),
        policies=tuple(
            Policy(
                when=f"Thing {index} Happened",
                then=f"Do {index}",
                context=f"c{(index % contexts + 1 + index // contexts % 3) % contexts:03d}",
            )
            for index in range(events)
        ),
        infrastructure=tuple(resources),
    )


def test_a_big_architecture_draws_every_wave_and_flow() -> None:
    # Its speed is measured by the benchmarks; here, that the big map is whole.
    architecture = derive(big_session())
    assert len(architecture.flows) == 10_000
    assert len(architecture.deploy_waves) > 5
    lines = draw_map(architecture)
    assert len(lines) > 2_000
    focus = draw_map(architecture, "c005")
    assert 0 < len(focus) < len(lines)
