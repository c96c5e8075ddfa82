"""Diagrams of the derived architecture in Mermaid, Graphviz DOT and PlantUML (C4).

Each view is computed once as a small format-neutral graph (`_Graph`); one writer per
format turns it into text, so the three formats always show the same thing. Writers
never use a raw id as a node name: `end` is a Mermaid keyword and PlantUML aliases must
be plain identifiers. Every piece of user text goes through its format's escaper.
"""

from __future__ import annotations

import os
import re
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from exports.bundle import ExportError
from exports.context import ExportContext
from model.derive import DeployEdge, Flow
from model.session import PLATFORM

NodeKind = Literal["context", "platform", "focus"]
EdgeKind = Literal["flow", "deploy"]


@dataclass(frozen=True)
class View:
    """One diagram in every format, as the HTML report and ARCHITECTURE.md show it."""

    slug: str
    """File name without extension, e.g. `context-map`."""
    title: str
    description: str
    mermaid: str
    dot: str
    plantuml: str


@dataclass(frozen=True)
class _Node:
    key: str
    """The service id."""
    title: str
    kind: NodeKind


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: tuple[str, ...]
    """One text per line: the events of a flow, or the ports of a deploy edge."""
    kind: EdgeKind


@dataclass(frozen=True)
class _Group:
    title: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class _Graph:
    nodes: tuple[_Node, ...]
    edges: tuple[_Edge, ...]
    groups: tuple[_Group, ...] = ()
    note: str | None = None
    """Shown as a free-standing note, e.g. why the deploy view has no waves."""


# Shared palette: events are orange like their sticky notes, deploy order is dark and
# solid, the platform stands out dark, the context a per-context view is about is amber.
_FILL: dict[NodeKind, str] = {"context": "#e8f0fe", "platform": "#455a64", "focus": "#fff3c4"}
_BORDER: dict[NodeKind, str] = {"context": "#3b6fb6", "platform": "#263238", "focus": "#c77700"}
_TEXT: dict[NodeKind, str] = {"context": "#1a1a1a", "platform": "#ffffff", "focus": "#1a1a1a"}
_LINE: dict[EdgeKind, str] = {"flow": "#e8890c", "deploy": "#37474f"}
_LABEL: dict[EdgeKind, str] = {"flow": "#a35f00", "deploy": "#37474f"}
_NOTE = {"fill": "#fdecea", "border": "#c62828"}
_FONT = "Helvetica,Arial,sans-serif"
_LEGEND: dict[str, str] = {
    "context": "bounded context",
    "platform": "platform (shared infrastructure)",
    "focus": "this context",
    "flow": "events over the bus",
    "deploy": "deploy order (ports)",
}

_DOT_TIMEOUT = 60
"""Seconds one Graphviz process may take for its share of the diagrams (a big session's take a few)."""

_LABELS_IN_LAYOUT = 100
"""Above this many arrows, labels are placed after the layout (`xlabel`) instead of in it.

Graphviz lays out a label as a node of its own, and its time grows steeply with them:
the map of 40 contexts with 215 labelled arrows took 3 s, against 0.4 s with xlabels."""


def render_mermaid(context: ExportContext) -> dict[str, str]:
    return {f"diagrams/{view.slug}.mmd": view.mermaid for view in views(context)}


def render_dot(context: ExportContext) -> dict[str, str]:
    """The DOT sources, and each one drawn as SVG when Graphviz is installed."""
    files: dict[str, str] = {}
    for view in views(context):
        files[f"diagrams/{view.slug}.dot"] = view.dot
        drawing = svg(context, view.dot)
        if drawing is not None:
            files[f"diagrams/{view.slug}.svg"] = drawing
    return files


def render_plantuml(context: ExportContext) -> dict[str, str]:
    return {f"diagrams/{view.slug}.puml": view.plantuml for view in views(context)}


def views(context: ExportContext) -> list[View]:
    """The context map, the deploy view, then one small view per context in session order."""
    return context.remember("diagram views", lambda: _views(context))


def _views(context: ExportContext) -> list[View]:
    name = context.session.name
    found = [
        _view(
            "context-map",
            f"Context map of {name}",
            "The bounded contexts and the events they send each other over the bus: one dashed arrow "
            "per producer and consumer, labelled with the events it carries.",
            _context_map(context),
        ),
        _view(
            "deploy",
            f"Ports and deploy order of {name}",
            "The platform and every service by deploy wave: an arrow from the provider of a port to "
            "each service that needs it, labelled with the ports. Events never create deploy order.",
            _deploy(context),
        ),
    ]
    for item in context.session.contexts:
        found.append(
            _view(
                _context_slug(item.id),
                f"{item.title} and its neighbours",
                f"{item.title} ({item.id}) and its direct neighbours only: the services it exchanges "
                "events with, the providers of the ports it needs and the services that need its ports.",
                _neighbourhood(context, item.id),
            )
        )
    return found


def svg(context: ExportContext, dot_source: str) -> str | None:
    """`dot_source` drawn by Graphviz, or None when Graphviz is not installed.

    The text starts at `<svg`: a valid file on its own that HTML can also inline, and
    without Graphviz's version comment, which would change the bytes across machines.
    """
    graphviz = context.graphviz
    if graphviz is None:
        return None
    for share in _view_drawings(context):
        drawn = share.result()
        if dot_source in drawn:
            return drawn[dot_source]
    return context.remember(("svg", dot_source), lambda: _draw(graphviz, [dot_source])[0])


def start_drawing(context: ExportContext) -> None:
    """Start Graphviz on every view now, so that it draws while the other formats are written."""
    if context.graphviz is not None:
        _view_drawings(context)


def _view_drawings(context: ExportContext) -> list[Future[dict[str, str]]]:
    """Every view being drawn, one Graphviz per core, each drawing a share of the views.

    Starting Graphviz (and its font set-up) costs more than laying out a small view, so
    each process draws many. The biggest views are shared out first to even the load,
    weighed by their size squared: layout time grows faster than a graph's size.
    """

    def start() -> list[Future[dict[str, str]]]:
        graphviz = context.graphviz
        assert graphviz is not None  # only asked for when Graphviz is installed
        sources = sorted({view.dot for view in views(context)}, key=len, reverse=True)
        shares: list[list[str]] = [[] for _ in range(min(os.cpu_count() or 1, len(sources)))]
        for source in sources:
            min(shares, key=lambda share: sum(len(item) ** 2 for item in share)).append(source)
        pool = ThreadPoolExecutor(max_workers=len(shares))
        drawing = [
            pool.submit(lambda share: dict(zip(share, _draw(graphviz, share), strict=True)), share) for share in shares
        ]
        pool.shutdown(wait=False)  # the started drawings finish; the threads end with them
        return drawing

    return context.remember("view drawings", start)


def _draw(graphviz: str, dot_sources: list[str]) -> list[str]:
    """Each of `dot_sources` drawn as SVG by one Graphviz process, which reads them in turn."""
    try:
        result = subprocess.run(
            [graphviz, "-Tsvg"],
            input="".join(dot_sources),
            capture_output=True,
            encoding="utf-8",
            timeout=_DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ExportError(f"Graphviz could not draw a diagram: {error}") from None
    # Graphviz escapes every text it draws, so `</svg>` appears only where a drawing ends.
    drawings = _SVG_DOCUMENT.findall(result.stdout)
    if result.returncode != 0 or len(drawings) != len(dot_sources):
        raise ExportError(f"Graphviz could not draw a diagram: {result.stderr.strip()}")
    # Graphviz counts pages across the graphs it reads, and from the second graph on it
    # names each one's only page `page0,1_<id>`: the same drawing gets the same id however drawn.
    return [_PAGE_PREFIX.sub('<g id="', drawing, count=1) for drawing in drawings]


_SVG_DOCUMENT = re.compile(r"<svg\b.*?</svg>\n?", re.S)
_PAGE_PREFIX = re.compile(r'<g id="page\d+,\d+_')


def _context_slug(context_id: str) -> str:
    """`context-<id>`; a context called `map` gets `context--map`, which no id can produce."""
    return "context--map" if context_id == "map" else f"context-{context_id}"


def _view(slug: str, title: str, description: str, graph: _Graph) -> View:
    return View(slug, title, description, _mermaid(graph), _dot(slug, graph), _plantuml(graph))


# --- the graphs -------------------------------------------------------------------------


def _context_map(context: ExportContext) -> _Graph:
    nodes = tuple(_Node(item.id, item.title, "context") for item in context.session.contexts)
    return _Graph(nodes, _flow_edges(context.architecture.flows))


def _deploy(context: ExportContext) -> _Graph:
    architecture = context.architecture
    groups = tuple(_Group(f"Wave {number}", wave) for number, wave in enumerate(architecture.deploy_waves, start=1))
    note = None if architecture.deploy_waves else "deploy cycle: no waves"
    return _Graph(_services(context), _deploy_edges(architecture.deploy_edges), groups, note)


def _neighbourhood(context: ExportContext, focus: str) -> _Graph:
    """One context, the services it touches by a flow or a deploy edge, and only those arrows."""
    flows = [flow for flow in context.architecture.flows if focus in (flow.producer, flow.consumer)]
    deploys = [edge for edge in context.architecture.deploy_edges if focus in (edge.provider, edge.consumer)]
    keys = {focus}
    keys.update(key for flow in flows for key in (flow.producer, flow.consumer))
    keys.update(key for edge in deploys for key in (edge.provider, edge.consumer))
    nodes = tuple(
        _Node(node.key, node.title, "focus") if node.key == focus else node
        for node in _services(context)
        if node.key in keys
    )
    return _Graph(nodes, _flow_edges(flows) + _deploy_edges(deploys))


def _services(context: ExportContext) -> tuple[_Node, ...]:
    """The platform first, then the contexts in session order."""
    platform = context.architecture.service(PLATFORM)
    return (
        _Node(platform.id, platform.name, "platform"),
        *(_Node(item.id, item.title, "context") for item in context.session.contexts),
    )


def _flow_edges(flows: Iterable[Flow]) -> tuple[_Edge, ...]:
    """One edge per producer and consumer, its events in timeline order."""
    events: dict[tuple[str, str], list[str]] = defaultdict(list)
    for flow in flows:
        events[(flow.producer, flow.consumer)].append(flow.event)
    return tuple(_Edge(source, target, tuple(names), "flow") for (source, target), names in sorted(events.items()))


def _deploy_edges(edges: Iterable[DeployEdge]) -> tuple[_Edge, ...]:
    return tuple(_Edge(edge.provider, edge.consumer, (", ".join(edge.ports),), "deploy") for edge in edges)


def _lines(texts: Iterable[str]) -> list[str]:
    """The label's lines: texts may hold line breaks of their own, and no format wants control characters."""
    return [
        "".join(" " if unicodedata.category(char) == "Cc" else char for char in line)
        for text in texts
        for line in text.splitlines()
    ]


def _node_label(node: _Node) -> tuple[str, ...]:
    """The display name with the id underneath, bracketed as C4 shows a container's technology."""
    return (node.title, f"[{node.key}]")


def _name(key: str) -> str:
    """A node name every format accepts: ids are slugs, so mapping '-' to '_' stays unique."""
    return "s_" + key.replace("-", "_")


def _write_nodes(
    graph: _Graph,
    lines: list[str],
    node: Callable[[_Node, str], str],
    opening: Callable[[int, _Group], str],
    closing: str,
) -> None:
    """The grouped nodes inside their groups, then the others: all three formats nest this way."""
    by_key = {item.key: item for item in graph.nodes}
    grouped = {key for group in graph.groups for key in group.members}
    for number, group in enumerate(graph.groups, start=1):
        lines.append(opening(number, group))
        lines.extend(node(by_key[key], "    ") for key in group.members)
        lines.append(closing)
    lines.extend(node(item, "  ") for item in graph.nodes if item.key not in grouped)


# --- Mermaid ----------------------------------------------------------------------------

_MERMAID_ENTITIES = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#38;",
    "<": "#60;",
    ">": "#62;",
    "%": "#37;",
    "$": "#36;",
    "`": "#96;",
    "|": "#124;",
}
"""Quotes end a label, `#…;` is an entity, `<` `&` are HTML, `%%` a directive, `$$` math,
a backtick a Markdown label and `|` an edge label's end: all become entity codes."""

_MERMAID_ESCAPE = str.maketrans(_MERMAID_ENTITIES)


def _mermaid_label(texts: Iterable[str]) -> str:
    return '"' + "<br>".join(line.translate(_MERMAID_ESCAPE) for line in _lines(texts)) + '"'


def _mermaid(graph: _Graph) -> str:
    lines = ["flowchart LR"]
    for kind, fill in _FILL.items():
        width = ",stroke-width:3px" if kind == "focus" else ""
        lines.append(f"  classDef {kind} fill:{fill},stroke:{_BORDER[kind]},color:{_TEXT[kind]}{width}")
    lines.append(f"  classDef note fill:{_NOTE['fill']},stroke:{_NOTE['border']},color:{_NOTE['border']}")

    def node(item: _Node, indent: str) -> str:
        return f"{indent}{_name(item.key)}[{_mermaid_label(_node_label(item))}]:::{item.kind}"

    _write_nodes(
        graph, lines, node, lambda number, group: f"  subgraph g_{number}[{_mermaid_label([group.title])}]", "  end"
    )
    if graph.note:
        lines.append(f"  n_note[{_mermaid_label([graph.note])}]:::note")
    for edge in graph.edges:
        arrow = "-.->" if edge.kind == "flow" else "==>"
        lines.append(f"  {_name(edge.source)} {arrow}|{_mermaid_label(edge.label)}| {_name(edge.target)}")
    for edge_kind, colour in _LINE.items():
        numbers = [str(number) for number, edge in enumerate(graph.edges) if edge.kind == edge_kind]
        if numbers:
            lines.append(f"  linkStyle {','.join(numbers)} stroke:{colour},color:{_LABEL[edge_kind]}")
    return "\n".join(lines) + "\n"


# --- Graphviz DOT -----------------------------------------------------------------------


_DOT_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "&": "&amp;"})
"""Graphviz decodes HTML entities even in plain labels, so `&` is one too."""


def _dot_string(texts: Iterable[str]) -> str:
    return '"' + "\\n".join(line.translate(_DOT_ESCAPE) for line in _lines(texts)) + '"'


def _dot(slug: str, graph: _Graph) -> str:
    """The graph `id` prefixes the SVG's element ids, so several drawings can share one HTML page."""
    lines = [
        f'digraph "{slug}" {{',
        f'  graph [id="{slug}", rankdir=LR, fontname="{_FONT}", nodesep=0.5, ranksep=1.1, pad=0.3]',
        f'  node [shape=box, style="rounded,filled", fontname="{_FONT}", fontsize=12, margin="0.25,0.12"]',
        f'  edge [fontname="{_FONT}", fontsize=10, arrowsize=0.8]',
    ]

    def node(item: _Node, indent: str) -> str:
        width = ", penwidth=3" if item.kind == "focus" else ""
        return (
            f"{indent}{_dot_string([item.key])} [label={_dot_string(_node_label(item))}, "
            f'fillcolor="{_FILL[item.kind]}", color="{_BORDER[item.kind]}", fontcolor="{_TEXT[item.kind]}"{width}]'
        )

    def opening(number: int, group: _Group) -> str:
        return (
            f'  subgraph "cluster_{number}" {{ id="{slug}_cluster{number}"; label={_dot_string([group.title])}; '
            'style="rounded,dashed"; color="#90a4ae"; fontcolor="#546e7a"; labeljust=l'
        )

    _write_nodes(graph, lines, node, opening, "  }")
    if graph.note:
        lines.append(
            f'  "_note" [shape=note, style=filled, label={_dot_string([graph.note])}, '
            f'fillcolor="{_NOTE["fill"]}", color="{_NOTE["border"]}", fontcolor="{_NOTE["border"]}"]'
        )
    label = "label" if len(graph.edges) <= _LABELS_IN_LAYOUT else "xlabel"
    for edge in graph.edges:
        style = "style=dashed" if edge.kind == "flow" else "penwidth=1.6"
        lines.append(
            f"  {_dot_string([edge.source])} -> {_dot_string([edge.target])} [{label}={_dot_string(edge.label)}, "
            f'{style}, color="{_LINE[edge.kind]}", fontcolor="{_LABEL[edge.kind]}"]'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- PlantUML (C4) ----------------------------------------------------------------------

_PLANTUML_RISKY = re.compile(r"[\"\\<>&~%$\[\]]|([*/_\-=^,+.'])\1+")
"""`"` ends an argument, `\\` escapes, `<` starts markup, `&` an entity, `~` escapes,
`%` calls a function and `$` reads a variable (both evaluated inside arguments),
`[[` is a link; doubled `**` `//` `__` `--` `==` `^^` `,,` `++` `..` `''` are Creole markup."""


_PLANTUML_DECODED_LATE = re.compile(r"(?<=&)(?=#)|(?<=<)(?=U\+)")
"""Where PlantUML decodes once more after unescaping: `&#NN;` (crashing on `&#92;`) and
`<U+XXXX>`. An invisible word joiner there keeps the text as typed."""


def _plantuml_string(texts: Iterable[str]) -> str:
    """A quoted macro argument: risky characters as `<U+XXXX>`, which PlantUML prints literally."""

    def escape(match: re.Match[str]) -> str:
        return "".join(f"<U+{ord(char):04X}>" for char in match.group())

    escaped = (_PLANTUML_RISKY.sub(escape, _PLANTUML_DECODED_LATE.sub("\u2060", line)) for line in _lines(texts))
    return '"' + "\\n".join(escaped) + '"'


def _plantuml(graph: _Graph) -> str:
    lines = ["@startuml", "!include <C4/C4_Container>", "  LAYOUT_LEFT_RIGHT()"]
    for kind, fill in _FILL.items():
        thickness = ', $borderThickness="3"' if kind == "focus" else ""
        lines.append(
            f'  AddElementTag("{kind}", $bgColor="{fill}", $fontColor="{_TEXT[kind]}", '
            f'$borderColor="{_BORDER[kind]}"{thickness}, $legendText="{_LEGEND[kind]}")'
        )
    for edge_kind, colour in _LINE.items():
        style = "DashedLine()" if edge_kind == "flow" else "BoldLine()"
        lines.append(
            f'  AddRelTag("{edge_kind}", $lineColor="{colour}", $textColor="{_LABEL[edge_kind]}", '
            f'$lineStyle={style}, $legendText="{_LEGEND[edge_kind]}")'
        )

    def node(item: _Node, indent: str) -> str:
        return (
            f"{indent}Container({_name(item.key)}, {_plantuml_string([item.title])}, {_plantuml_string([item.key])}, "
            f'$tags="{item.kind}")'
        )

    def opening(number: int, group: _Group) -> str:
        return f"  Boundary(g_{number}, {_plantuml_string([group.title])}) {{"

    _write_nodes(graph, lines, node, opening, "  }")
    if graph.note:
        lines.extend([f"  note as n_note {_NOTE['fill']}", f"    {graph.note}", "  end note"])
    lines.extend(
        f'  Rel({_name(edge.source)}, {_name(edge.target)}, {_plantuml_string(edge.label)}, $tags="{edge.kind}")'
        for edge in graph.edges
    )
    lines.extend(["  SHOW_LEGEND()", "@enduml"])
    return "\n".join(lines) + "\n"
