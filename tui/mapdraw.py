"""The map view of the workshop app: the derived architecture drawn with box-drawing characters.

A pure function of the architecture, without Textual, so it can be tested and timed alone;
`tui.mapview.MapView` only scrolls the lines. Deploy waves are columns from left to right,
each service a box with its ports, and each deploy edge an arrow into its consumer's box
labelled with the provider and the ports it carries: arrows never cross, however many
services there are. The events over the bus follow as a list grouped by producer and
consumer, which stays readable where a drawing of crossing lines would not.

User text is only ever put into `rich.text.Text` as plain text (never parsed as markup),
control characters are replaced by visible symbols, and every width is measured in
terminal cells, so boxes line up with CJK and emoji names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len, chop_cells
from rich.text import Span, Text

from model.derive import Architecture, DeployEdge, Flow, Service
from model.session import PLATFORM

MAX_WIDTH = 120
"""The width the map is laid out for; wider maps (many waves) scroll sideways."""
BOX_WIDTH = 30
"""A service box, borders included."""

_INNER = BOX_WIDTH - 4  # "│ " + text + " │"
_GAP_MIN, _GAP_MAX = 8, 26
"""Bounds of the space left of a column, where the arrows into its boxes are labelled."""

Kind = Literal["context", "platform", "focus"]
Run = tuple[str, str]
"""Text and its Rich style: lines are built as lists of runs and become `Text` once, at the end."""
Line = list[Run]

# Sticky-note colours on a dark terminal: events orange, the platform slate with a double
# border, the context a per-context view is about amber with a heavy border, errors red.
_BORDERS: dict[Kind, str] = {"context": "╭─╮│╰╯", "platform": "╔═╗║╚╝", "focus": "┏━┓┃┗┛"}
_BORDER_STYLE: dict[Kind, str] = {"context": "#64b5f6", "platform": "bold #b0bec5", "focus": "bold #ffc107"}
_NAME_STYLE: dict[Kind, str] = {"context": "bold #ffffff", "platform": "bold #eceff1", "focus": "bold #ffd54f"}
_ID_STYLE: dict[Kind, str] = {"context": "#90caf9", "platform": "#b0bec5", "focus": "#ffc107"}
_MUTED = "#90a4ae"
_PORT = "#4dd0e1"
_ARROW = "#eceff1"
_EVENT = "bold #ff9800"
_ERROR = "bold #ff5252"
_HEADING = "bold underline"
_WAVE = "bold #ffffff on #455a64"

_EVENT_SEPARATOR = ", "
"""ASCII on purpose: Rich strips control codes from every line with `str.translate`, which
is several times faster on ASCII text, and the list of events is most of a big map."""

_LINE_BREAK = "⏎"
_VISIBLE: dict[int, str] = {
    **{code: chr(0x2400 + code) for code in range(0x20)},  # ␀ … ␟, the Unicode control pictures
    **dict.fromkeys((0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029), _LINE_BREAK),
    0x7F: "␡",
    **dict.fromkeys(range(0x80, 0xA0), "�"),
    # Bidirectional overrides and isolates would reorder the rest of the line on screen.
    **dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A)), "�"),
}


def visible(text: str) -> str:
    """`text` on one line with nothing invisible: line breaks as ⏎, other controls as symbols."""
    if text.isprintable():  # the usual case, and much faster than translating
        return text
    return text.replace("\r\n", "\n").translate(_VISIBLE)


def draw_map(architecture: Architecture, focus: str | None = None) -> list[Text]:
    """The whole map, or with `focus` one service and its neighbours, as lines to show.

    The neighbours are what `exports.diagrams` shows in a per-context diagram: the services
    that exchange events with `focus` and those joined to it by a deploy edge, with only
    those flows and edges. Raises ValueError for an unknown service id.
    """
    scope = _Scope.of(architecture, focus)
    drawn = [*_title(scope), [], *_deploy_section(scope), []]
    return [*map(_text, drawn), *_events_section(scope)]


@dataclass(frozen=True)
class _Scope:
    """What one drawing shows: every service, flow and deploy edge, or a focus and its neighbours."""

    architecture: Architecture
    focus: str | None
    services: tuple[Service, ...]
    """The platform first, then the focus, then by id: each heads its column."""
    flows: tuple[Flow, ...]
    edges: tuple[DeployEdge, ...]

    @classmethod
    def of(cls, architecture: Architecture, focus: str | None) -> _Scope:
        flows, edges = architecture.flows, architecture.deploy_edges
        shown: set[str] = set()
        if focus is not None:
            if not any(service.id == focus for service in architecture.services):
                raise ValueError(f"no service {focus!r} in this architecture")
            flows = tuple(flow for flow in flows if focus in (flow.producer, flow.consumer))
            edges = tuple(edge for edge in edges if focus in (edge.provider, edge.consumer))
            shown.add(focus)
            shown.update(key for flow in flows for key in (flow.producer, flow.consumer))
            shown.update(key for edge in edges for key in (edge.provider, edge.consumer))
        services = sorted(
            (service for service in architecture.services if focus is None or service.id in shown),
            key=lambda service: (service.id != PLATFORM, service.id != focus, service.id),
        )
        return cls(architecture, focus, tuple(services), flows, edges)

    def kind(self, service_id: str) -> Kind:
        if service_id == self.focus:
            return "focus"
        return "platform" if service_id == PLATFORM else "context"


# --- the title -------------------------------------------------------------------------------


def _title(scope: _Scope) -> list[Line]:
    architecture = scope.architecture
    if scope.focus is None:
        title: Line = [(f"Map of {architecture.app}", "bold")]
    else:
        focused = architecture.service(scope.focus)
        title = [
            (visible(focused.name), _NAME_STYLE["focus"]),
            (f" ({focused.id})", _ID_STYLE["focus"]),
            (" and its neighbours", "bold"),
        ]
    counts = [_count(len(scope.services), "service"), _count(len(scope.flows), "event flow")]
    if scope.focus is None:
        counts.insert(1, _count(len(architecture.deploy_waves), "deploy wave"))
    title.append(("   " + " · ".join(counts), _MUTED))
    kinds: list[tuple[Kind, str]] = [("platform", "platform"), ("context", "service")]
    if scope.focus is not None:
        kinds.append(("focus", "this context"))
    legend: Line = []
    for kind, meaning in kinds:
        legend += [(_BORDERS[kind][:3], _BORDER_STYLE[kind]), (f" {meaning}  ", _MUTED)]
    legend += [
        ("provider ──▶", _ARROW),
        (" ports, deployed first  ", _MUTED),
        ("Events", _EVENT),
        (" over the bus", _MUTED),
    ]
    lines = [title, legend]
    if not architecture.deploy_waves:
        lines.append([])
        cycles = [problem.message for problem in architecture.problems if problem.rule == "deploy-cycle"]
        for message in cycles or ["deploy cycle"]:
            first, *rest = _wrap(message, MAX_WIDTH - 2)
            lines.append([(f"✖ {first}", _ERROR)])
            lines += [[(f"  {line}", _ERROR)] for line in rest]
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- deploy waves as columns -----------------------------------------------------------------


def _deploy_section(scope: _Scope) -> list[Line]:
    """The columns side by side, each as wide as its arrows and its boxes."""
    incoming: dict[str, list[DeployEdge]] = defaultdict(list)
    for edge in scope.edges:
        incoming[edge.consumer].append(edge)
    heading: Line = [("DEPLOY ORDER", _HEADING)]
    if scope.architecture.deploy_waves:
        heading.append(("   left to right: a wave deploys after the waves before it, its services in parallel", _MUTED))
    else:
        heading.append(
            ("   no waves until the cycle is broken: these services cannot be deployed in any order", _ERROR)
        )
    blocks = [_column(scope, title, services, incoming) for title, services in _columns(scope)]
    return [heading, [], *_beside(*blocks)]


def _columns(scope: _Scope) -> list[tuple[Line, list[Service]]]:
    waves = scope.architecture.deploy_waves
    if not waves:
        return [([(" No waves ", f"{_ERROR} reverse"), (" deploy cycle", _ERROR)], list(scope.services))]
    wave_of = {service_id: number for number, wave in enumerate(waves, start=1) for service_id in wave}
    members: dict[int, list[Service]] = defaultdict(list)
    for service in scope.services:
        members[wave_of[service.id]].append(service)
    return [
        ([(f" Wave {number} ", _WAVE), (f" {_count(len(found), 'service')}", _MUTED)], found)
        for number, found in sorted(members.items())
    ]


def _column(
    scope: _Scope, title: Line, services: list[Service], incoming: dict[str, list[DeployEdge]]
) -> tuple[list[Line], int]:
    """One column: its title, then each box with the arrows into it on its left."""
    edges = [edge for service in services for edge in incoming[service.id]]
    gap = 1
    if edges:  # " provider ─▶" takes 5 cells besides the id, "   port" 3 and a space before the box
        needed = max(max(cell_len(edge.provider) + 5, *(cell_len(port) + 4 for port in edge.ports)) for edge in edges)
        gap = min(max(needed, _GAP_MIN), _GAP_MAX)
    lines = _beside(([], gap), ([title], BOX_WIDTH))
    for service in services:
        kind = scope.kind(service.id)
        arrows = [line for edge in incoming[service.id] for line in _arrow(scope, edge, gap)]
        lines += _beside(([[], *arrows], gap), (_box(_box_content(service, kind), kind, len(arrows)), BOX_WIDTH))
        lines.append([])
    return lines, gap + BOX_WIDTH


def _arrow(scope: _Scope, edge: DeployEdge, gap: int) -> list[Line]:
    """` provider ───▶` ending at the box, then the ports it carries underneath."""
    style = _id_style(scope, edge.provider)
    first, *rest = chop_cells(edge.provider, gap - 5)
    lines = [[(" ", ""), (first, style), (" " + "─" * (gap - 3 - cell_len(first)) + "▶", _ARROW)]]
    lines += [[(f" {piece}", style)] for piece in rest]
    lines += [[(f"   {piece}", _PORT)] for port in edge.ports for piece in chop_cells(port, gap - 4)]
    return lines


def _box_content(service: Service, kind: Kind) -> list[Line]:
    """The display name, the id and the ports a service provides.

    The ports it needs are on the arrows beside the box, each with the service that
    provides it: listing them again inside would only make every box taller.
    """
    lines = [[(line, _NAME_STYLE[kind])] for line in _wrap(visible(service.name), _INNER)]
    lines += [[(piece, _ID_STYLE[kind])] for piece in chop_cells(service.id, _INNER)]
    if service.provides:
        lines.append([("provides", _MUTED)])
        lines += [[(f"  {piece}", _PORT)] for port in service.provides for piece in chop_cells(port.port, _INNER - 2)]
    return lines


def _box(content: list[Line], kind: Kind, rows: int) -> list[Line]:
    """A box of BOX_WIDTH cells around `content`, at least `rows` lines high inside."""
    top_left, line, top_right, side, bottom_left, bottom_right = tuple(_BORDERS[kind])
    style = _BORDER_STYLE[kind]
    height = max(len(content), rows)
    inner = _beside(([[(side, style)]] * height, 2), (content, _INNER), ([[(" " + side, style)]] * height, 2))
    return [
        [(top_left + line * (BOX_WIDTH - 2) + top_right, style)],
        *inner,
        [(bottom_left + line * (BOX_WIDTH - 2) + bottom_right, style)],
    ]


# --- events over the bus ---------------------------------------------------------------------


def _events_section(scope: _Scope) -> list[Text]:
    """One row per producer and consumer (one EventBridge rule) with its events; each producer named once.

    The biggest part of a big map, so its rows are built as `Text` directly: service ids are
    ASCII slugs of at most 40 characters, so every column starts at a fixed offset.
    """
    heading = Text.assemble(("EVENTS OVER THE BUS", f"{_EVENT} underline"))
    if not scope.flows:
        return [heading, Text("  none yet: a policy in another context that reacts to an event puts it here", _MUTED)]
    heading.append(f"   {_count(len(scope.flows), 'event flow')}, producer ──▶ consumer", _MUTED)
    events: dict[tuple[str, str], list[str]] = defaultdict(list)
    for flow in scope.flows:
        events[(flow.producer, flow.consumer)].append(visible(flow.event))
    producer_width = max(len(producer) for producer, _ in events)
    consumer_width = max(len(consumer) for _, consumer in events) + 2
    arrow, consumer_at = 2 + producer_width, 2 + producer_width + 5
    events_at = consumer_at + consumer_width
    indent = " " * events_at
    width = max(MAX_WIDTH - events_at, 40)
    lines = [heading]
    previous = None
    for (producer, consumer), names in sorted(events.items()):
        first, *rest = _pack(names, width, _EVENT_SEPARATOR)
        spans = [
            Span(arrow, consumer_at, _EVENT),
            Span(consumer_at, consumer_at + len(consumer), _id_style(scope, consumer)),
            Span(events_at, events_at + len(first), _EVENT),
        ]
        shown = "" if producer == previous else producer
        if shown:
            lines.append(Text())
            spans.append(Span(2, 2 + len(producer), _id_style(scope, producer)))
        lines.append(_line(f"  {shown.ljust(producer_width)} ──▶ {consumer.ljust(consumer_width)}{first}", spans))
        lines += [_line(indent + line, [Span(events_at, events_at + len(line), _EVENT)]) for line in rest]
        previous = producer
    return lines


def _id_style(scope: _Scope, service_id: str) -> str:
    return _ID_STYLE[scope.kind(service_id)]


# --- layout helpers --------------------------------------------------------------------------


def _beside(*cells: tuple[Sequence[Line], int]) -> list[Line]:
    """Blocks of lines side by side, each padded to its width in cells."""
    rows = []
    for index in range(max(len(lines) for lines, _ in cells)):
        row: Line = []
        for lines, width in cells:
            padding = width
            if index < len(lines):
                row += lines[index]
                padding -= sum(cell_len(text) for text, _ in lines[index])
            if padding > 0:
                row.append((" " * padding, ""))
        rows.append(row)
    return rows


def _text(line: Line) -> Text:
    """One line as Rich text, without the padding at its end."""
    end = len(line)
    while end and not line[end - 1][1]:  # runs without a style at the end are padding
        end -= 1
    spans = []
    start = 0
    for text, style in line[:end]:
        if style:
            spans.append(Span(start, start + len(text), style))
        start += len(text)
    return _line("".join([text for text, _ in line[:end]]), spans)


def _line(plain: str, spans: list[Span]) -> Text:
    """User text goes in as plain text, never parsed as markup; a line is never wrapped."""
    return Text(plain, spans=spans, no_wrap=True, overflow="ignore")


def _pack(items: Iterable[str], width: int, separator: str) -> list[str]:
    """Items into lines of at most `width` cells, breaking only between items unless one is too long."""
    lines: list[str] = []
    line: str | None = None
    used = 0
    gap = cell_len(separator)
    for item in items:
        size = cell_len(item)
        pieces = [(item, size)] if size <= width else [(piece, cell_len(piece)) for piece in chop_cells(item, width)]
        for piece, size in pieces:
            if line is not None and used + gap + size <= width:
                line, used = f"{line}{separator}{piece}", used + gap + size
            else:
                if line is not None:
                    lines.append(line)
                line, used = piece, size
    lines.append(line or "")
    return lines


def _wrap(text: str, width: int) -> list[str]:
    """Words into lines of at most `width` cells."""
    return _pack(text.split(" "), width, " ")
