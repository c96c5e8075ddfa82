"""The diagram exporters: every file passes the real tools, and each view shows what it should."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from benchmarks.generate import synthetic_session
from exports.bundle import ExportError
from exports.context import ExportContext
from exports.diagrams import render_dot, render_mermaid, render_plantuml, svg, views
from model.derive import derive
from model.session import Session
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session, session_from
from tests.validators import PLANTUML_JAR, check_dot, check_mermaid, check_plantuml, executable, missing

NASTY = r"&#92; &#60;b&#62; <U+0041> %date() $ELEMENT_FONT_COLOR C:\new **x** --y-- [[z]] ~w #35;"
"""Text Graphviz or PlantUML would decode, evaluate, format or crash on if it went through as is."""

TANGLE = f"""\
portstorm: 1
name: Tangle
app: tangle
contexts:
- id: map
  name: '{NASTY}'
  uses: [keys]
- id: billing
  uses: [ledger]
- id: archive
events:
- name: Invoice Sent
  context: map
policies:
- when: Invoice Sent
  then: Book Invoice
  context: billing
infrastructure:
- id: ledger
  kind: table
  owner: map
- id: keys
  kind: secret
  owner: billing
"""
"""A deploy cycle (map and billing need each other's ports), a context called `map`
(whose view must not overwrite the context map) and a context with no flows."""

SESSIONS: dict[str, Callable[[], Session]] = {
    "sample": lambda: load_session(SAMPLES / "ecommerce.yaml"),
    "hostile": hostile_session,
    "tangle": lambda: session_from(TANGLE),
}

DOT_NODE = re.compile(r'^ +"([^"]+)" \[label=', re.MULTILINE)
DOT_EDGE = re.compile(r'^ +"([^"]+)" -> "([^"]+)" \[label="((?:[^"\\]|\\.)*)"', re.MULTILINE)
DOT_CLUSTER = re.compile(r'subgraph "cluster_\d+" \{ id="[^"]*"; label="([^"]*)";(.*?)\n  \}', re.DOTALL)


def export_context(session: Session) -> ExportContext:
    return ExportContext(session, derive(session), graphviz=shutil.which("dot"))


def render_all(context: ExportContext) -> dict[str, str]:
    return {**render_mermaid(context), **render_dot(context), **render_plantuml(context)}


@pytest.fixture(scope="module")
def contexts() -> dict[str, ExportContext]:
    return {name: export_context(make()) for name, make in SESSIONS.items()}


@pytest.fixture(scope="module")
def files(contexts: dict[str, ExportContext]) -> dict[str, dict[str, str]]:
    """Every diagram file of each session, by relative path."""
    return {name: render_all(context) for name, context in contexts.items()}


@pytest.fixture(scope="module")
def folder(files: dict[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files written out, one folder per session, for the tools to read."""
    root = tmp_path_factory.mktemp("diagrams")
    for name, rendered in files.items():
        for relative, text in rendered.items():
            path = root / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return root


def dot_nodes(source: str) -> set[str]:
    return set(DOT_NODE.findall(source))


def dot_edges(source: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Each edge with its label lines (the labels these tests read hold no escapes)."""
    return [(tail, head, tuple(label.split("\\n"))) for tail, head, label in DOT_EDGE.findall(source)]


def dot_labels(source: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """The label of each edge by its ends, for views with at most one edge per pair."""
    edges = dot_edges(source)
    labels = {(tail, head): label for tail, head, label in edges}
    assert len(labels) == len(edges)
    return labels


def svg_text(document: str) -> str:
    """All text of an SVG drawing, without whitespace (the tools wrap long labels)."""
    root = ElementTree.fromstring(document)
    return "".join(squeeze("".join(element.itertext())) for element in root.iter() if element.tag.endswith("}text"))


def squeeze(text: str) -> str:
    return "".join(text.split())


# --- the real tools ---------------------------------------------------------------------


def test_mermaid_parses_every_file(folder: Path) -> None:
    check_mermaid(sorted(folder.rglob("*.mmd")))


def test_graphviz_lays_out_every_file(folder: Path) -> None:
    check_dot(sorted(folder.rglob("*.dot")))


def test_plantuml_accepts_every_file(folder: Path) -> None:
    check_plantuml(sorted(folder.rglob("*.puml")))


def test_plantuml_prints_hostile_text_literally(
    folder: Path, contexts: dict[str, ExportContext], tmp_path: Path
) -> None:
    """-checkonly misses what only drawing shows: `%date()` evaluated, `&#92;` crashing, `**` as bold."""
    java = executable("java")
    if not PLANTUML_JAR.is_file():
        missing(f"PlantUML ({PLANTUML_JAR})")
    sources = [folder / name / "diagrams/context-map.puml" for name in ("hostile", "tangle")]
    command = [java, "-Djava.awt.headless=true", "-jar", str(PLANTUML_JAR), "-charset", "UTF-8", "-tsvg"]
    for source in sources:  # one name per session: PlantUML writes <name>.svg into the -o folder
        shutil.copy(source, tmp_path / f"{source.parent.parent.name}.puml")
    subprocess.run([*command, "-o", str(tmp_path), *sorted(map(str, tmp_path.glob("*.puml")))], check=True)
    hostile, tangle = (
        svg_text((tmp_path / f"{name}.svg").read_text(encoding="utf-8")).replace("\u2060", "")  # invisible
        for name in ("hostile", "tangle")
    )
    assert squeeze(NASTY) in tangle
    for flow in contexts["hostile"].architecture.flows:
        assert squeeze(flow.event) in hostile


def test_graphviz_draws_hostile_text_literally(contexts: dict[str, ExportContext]) -> None:
    executable("dot")
    for name, expected in (
        ("hostile", [flow.event for flow in contexts["hostile"].architecture.flows]),
        ("tangle", [NASTY]),
    ):
        drawing = svg(contexts[name], views(contexts[name])[0].dot)
        assert drawing is not None
        for text in expected:
            assert squeeze(text) in svg_text(drawing)


# --- what each view shows ---------------------------------------------------------------


def test_views_and_files(contexts: dict[str, ExportContext], files: dict[str, dict[str, str]]) -> None:
    context = contexts["sample"]
    found = views(context)
    slugs = ["context-map", "deploy", *(f"context-{item.id}" for item in context.session.contexts)]
    assert [view.slug for view in found] == slugs
    extensions = ["mmd", "dot", "puml"] + (["svg"] if context.graphviz else [])
    assert set(files["sample"]) == {f"diagrams/{slug}.{extension}" for slug in slugs for extension in extensions}
    for view in found:
        assert files["sample"][f"diagrams/{view.slug}.dot"] == view.dot
        assert view.title
        assert view.description


def test_a_context_called_map_keeps_the_context_map(files: dict[str, dict[str, str]]) -> None:
    tangle = files["tangle"]
    assert dot_nodes(tangle["diagrams/context-map.dot"]) == {"map", "billing", "archive"}
    assert dot_nodes(tangle["diagrams/context--map.dot"]) == {"map", "billing", "platform"}


def test_context_map_shows_every_flow_as_a_labelled_edge(
    contexts: dict[str, ExportContext], files: dict[str, dict[str, str]]
) -> None:
    flows = contexts["sample"].architecture.flows
    mermaid, dot, plantuml = (
        files["sample"][f"diagrams/context-map.{extension}"] for extension in ("mmd", "dot", "puml")
    )
    edges = dot_labels(dot)
    assert dot_nodes(dot) == {item.id for item in contexts["sample"].session.contexts}
    assert set(edges) == {(flow.producer, flow.consumer) for flow in flows}
    assert sorted(event for labels in edges.values() for event in labels) == sorted(flow.event for flow in flows)
    for flow in flows:
        assert flow.event in edges[(flow.producer, flow.consumer)]
        event = re.escape(flow.event)
        assert re.search(rf's_{flow.producer} -\.->\|"([^"]*<br>)?{event}(<br>[^"]*)?"\| s_{flow.consumer}\n', mermaid)
        assert re.search(rf'Rel\(s_{flow.producer}, s_{flow.consumer}, "([^"]*\\n)?{event}(\\n[^"]*)?", ', plantuml)
    # one line per event, in timeline order
    assert edges[("orders", "inventory")] == ("Order Placed", "Order Cancelled")


def test_contexts_without_flows_still_appear(files: dict[str, dict[str, str]]) -> None:
    tangle = files["tangle"]
    assert "archive" in dot_nodes(tangle["diagrams/context-map.dot"])
    assert 's_archive["archive<br>[archive]"]' in tangle["diagrams/context-map.mmd"]
    assert 'Container(s_archive, "archive", "archive"' in tangle["diagrams/context-map.puml"]


def test_deploy_view_groups_services_by_wave(
    contexts: dict[str, ExportContext], files: dict[str, dict[str, str]]
) -> None:
    architecture = contexts["sample"].architecture
    mermaid, dot, plantuml = (files["sample"][f"diagrams/deploy.{extension}"] for extension in ("mmd", "dot", "puml"))
    clusters = [(title, dot_nodes(body)) for title, body in DOT_CLUSTER.findall(dot)]
    assert clusters == [("Wave 1", {"platform"}), ("Wave 2", {item.id for item in contexts["sample"].session.contexts})]
    assert 'subgraph g_1["Wave 1"]' in mermaid
    assert 'subgraph g_2["Wave 2"]' in mermaid
    assert '  Boundary(g_1, "Wave 1") {\n' in plantuml
    assert '  Boundary(g_2, "Wave 2") {\n' in plantuml
    labels = dot_labels(dot)
    assert labels == {(edge.provider, edge.consumer): (", ".join(edge.ports),) for edge in architecture.deploy_edges}
    assert labels[("platform", "orders")] == ("event-bus, user-pool",)
    assert 's_platform ==>|"event-bus, user-pool"| s_orders' in mermaid
    assert "no waves" not in mermaid + dot + plantuml


def test_deploy_cycle_has_no_waves_and_says_so(files: dict[str, dict[str, str]]) -> None:
    mermaid, dot, plantuml = (files["tangle"][f"diagrams/deploy.{extension}"] for extension in ("mmd", "dot", "puml"))
    assert "cluster_" not in dot
    assert "subgraph" not in mermaid
    assert "Boundary(" not in plantuml
    for text in (mermaid, dot, plantuml):
        assert "deploy cycle: no waves" in text
    assert dot_edges(dot) == [
        ("billing", "map", ("keys",)),
        ("map", "billing", ("ledger",)),
        ("platform", "billing", ("event-bus",)),
        ("platform", "map", ("event-bus",)),
    ]


def test_context_view_holds_only_direct_neighbours(
    contexts: dict[str, ExportContext], files: dict[str, dict[str, str]]
) -> None:
    sample = files["sample"]
    assert dot_nodes(sample["diagrams/context-customers.dot"]) == {"customers", "notifications", "platform"}
    assert dot_nodes(sample["diagrams/context-catalog.dot"]) == {"catalog", "inventory", "orders", "platform"}
    architecture = contexts["sample"].architecture
    for item in contexts["sample"].session.contexts:
        flows = [flow for flow in architecture.flows if item.id in (flow.producer, flow.consumer)]
        deploys = [edge for edge in architecture.deploy_edges if item.id in (edge.provider, edge.consumer)]
        ends = [(flow.producer, flow.consumer) for flow in flows] + [(edge.provider, edge.consumer) for edge in deploys]
        dot = sample[f"diagrams/context-{item.id}.dot"]
        assert dot_nodes(dot) == {item.id} | {service for pair in ends for service in pair}
        assert {(tail, head) for tail, head, _label in dot_edges(dot)} == set(ends)
    # a context that provides a port also shows the services that need it
    assert dot_edges(files["tangle"]["diagrams/context--map.dot"]) == [
        ("map", "billing", ("Invoice Sent",)),
        ("billing", "map", ("keys",)),
        ("map", "billing", ("ledger",)),
        ("platform", "map", ("event-bus",)),
    ]


def test_flows_and_deploy_edges_look_different(files: dict[str, dict[str, str]]) -> None:
    mermaid, dot, plantuml = (
        files["sample"][f"diagrams/context-orders.{extension}"] for extension in ("mmd", "dot", "puml")
    )
    assert re.search(r'"orders" -> "payments" \[label="[^"]*", style=dashed', dot)
    assert re.search(r'"platform" -> "orders" \[label="[^"]*", penwidth=', dot)
    assert 's_platform ==>|"event-bus, user-pool"| s_orders' in mermaid
    assert re.search(r"s_orders -\.->\|", mermaid)
    assert '$tags="flow")' in plantuml
    assert '$tags="deploy")' in plantuml
    assert 'Container(s_platform, "Platform", "platform", $tags="platform")' in plantuml
    assert 'Container(s_orders, "Orders", "orders", $tags="focus")' in plantuml


def test_hostile_text_is_escaped(files: dict[str, dict[str, str]]) -> None:
    mermaid, dot, plantuml = (
        files["hostile"][f"diagrams/context-map.{extension}"] for extension in ("mmd", "dot", "puml")
    )
    assert 's_end["end<br>[end]"]:::context' in mermaid
    assert not re.search(r"^\s*end\[", mermaid, re.MULTILINE)
    assert not re.search(r"^\s+\w+\[(?!\")", mermaid, re.MULTILINE)  # every label quoted
    assert "Order #quot;Placed#quot; [fast] {now}" in mermaid
    assert "#60;script#62;alert(1)#60;/script#62; #38; #60;b#62;" in mermaid
    assert "#35;hash; #37;percent#37; @at #124; pipe #96;tick#96;" in mermaid
    assert "line one<br>line two Happened" in mermaid
    assert "#36;{AWS::AccountId}" in mermaid
    assert r'"orders" [label="Order \"Placed\" [fast] {now}\n[orders]"' in dot
    assert r"'single' \\backslash\\ \"double\" Happened" in dot
    assert r"<script>alert(1)</script> &amp; <b>bold</b> Happened" in dot
    assert r"line one\nline two Happened" in dot
    assert 'Container(s_orders, "Order <U+0022>Placed<U+0022> <U+005B>fast<U+005D> {now}", "orders"' in plantuml
    assert "<U+0024>{AWS::AccountId}" in plantuml
    assert "<script>" not in mermaid + plantuml
    assert "\u2060" in files["tangle"]["diagrams/context-map.puml"]  # `&#92;` kept apart


def test_rendering_is_deterministic(files: dict[str, dict[str, str]]) -> None:
    for name in ("sample", "hostile"):
        assert render_all(export_context(SESSIONS[name]())) == files[name]


# --- svg --------------------------------------------------------------------------------


def test_svg_draws_with_graphviz(contexts: dict[str, ExportContext], files: dict[str, dict[str, str]]) -> None:
    executable("dot")
    drawing = svg(contexts["sample"], files["sample"]["diagrams/deploy.dot"])
    assert drawing is not None
    assert drawing.startswith("<svg")
    assert ElementTree.fromstring(drawing).tag == "{http://www.w3.org/2000/svg}svg"
    assert files["sample"]["diagrams/deploy.svg"] == drawing
    ids = re.findall(r' id="([^"]*)"', drawing)  # unique across the drawings of one HTML page
    assert len(ids) == len(set(ids))
    assert all(value.startswith("deploy") for value in ids)


def test_each_drawing_is_what_graphviz_draws_of_its_file_alone(files: dict[str, dict[str, str]]) -> None:
    """One Graphviz draws many views in turn; each SVG must still be its own file's drawing, byte for byte."""
    dot = executable("dot")
    for drawn in files.values():
        for path, source in drawn.items():
            if path.endswith(".dot"):
                alone = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, encoding="utf-8", check=True)
                assert drawn[path.removesuffix(".dot") + ".svg"] == alone.stdout[alone.stdout.index("<svg") :], path


def test_a_map_of_many_arrows_draws_every_label_placed_after_the_layout() -> None:
    """Laid out as nodes of their own, 119 labels would take Graphviz seconds; as xlabels, still all drawn."""
    dot = executable("dot")
    context = export_context(synthetic_session(600, 20))
    source = views(context)[0].dot
    arrows = len({(flow.producer, flow.consumer) for flow in context.architecture.flows})
    assert arrows > 100
    assert source.count(" [xlabel=") == arrows
    assert " [label=" not in source.split(" -> ", 1)[1]
    drawing = subprocess.run([dot, "-Tsvg"], input=source, capture_output=True, encoding="utf-8", check=True).stdout
    texts = {element.text for element in ElementTree.fromstring(drawing).iter("{http://www.w3.org/2000/svg}text")}
    assert {flow.event for flow in context.architecture.flows} <= texts


def test_svg_without_graphviz_is_none(contexts: dict[str, ExportContext]) -> None:
    context = ExportContext(contexts["sample"].session, contexts["sample"].architecture)
    assert svg(context, "digraph {}") is None
    assert not [path for path in render_dot(context) if path.endswith(".svg")]


def test_svg_reports_what_graphviz_says(contexts: dict[str, ExportContext]) -> None:
    executable("dot")
    with pytest.raises(ExportError, match="Graphviz could not draw a diagram"):
        svg(contexts["sample"], "digraph {")
