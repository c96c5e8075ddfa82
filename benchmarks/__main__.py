"""portstorm against the floor that Python, Textual and libyaml set on this machine.

    python -m benchmarks            the full run (7 rounds, 1,000- and 10,000-event sessions)
    python -m benchmarks --smoke    one short round on small sessions, so the suite cannot rot
    python -m benchmarks --compare OLD.json    the same, with the ratios of an earlier run beside

Every measured case runs in the same round as its baseline, round after round, and a row
quotes the median of the per-round ratios. The apps run in a pseudo-terminal and are
timed from outside (benchmarks/terminal.py): process start or key written, to the bytes
of the frame that shows the expected text.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.bare_app import READY
from benchmarks.generate import synthetic_session
from benchmarks.terminal import Terminal
from model.capture import apply_capture, parse_capture
from model.derive import Architecture, derive
from model.session import Session
from model.sessionfile import load_session, save_session
from tui.panels import problems_label  # it changes once the panels show a new derivation

PYTHON = sys.executable
BARE_APP = [PYTHON, str(Path(__file__).with_name("bare_app.py"))]
PORTSTORM = [str(Path(PYTHON).with_name("portstorm"))]  # the command people run
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Size:
    """What one run measures: the sessions, how many rounds and how many samples a round."""

    small: tuple[int, int]  # events, contexts
    big: tuple[int, int]
    rounds: int
    keys: int
    edits: int
    scripted_edits: int


FULL = Size(small=(1_000, 40), big=(10_000, 300), rounds=7, keys=30, edits=5, scripted_edits=5_000)
SMOKE = Size(small=(100, 8), big=(1_000, 40), rounds=1, keys=5, edits=2, scripted_edits=200)


@dataclass
class Row:
    """One line of the table: a figure, the baseline it is held against, and the target."""

    id: str
    what: str
    baseline: str
    target: float  # the largest acceptable ratio (for absolute rows: seconds, against a baseline of 1 s)
    ratios: list[float] = field(default_factory=list)
    figures: list[float] = field(default_factory=list)  # the measured value per round (seconds or MiB)
    unit: str = "ms"

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def figure(self) -> float:
        return statistics.median(self.figures)

    @property
    def met(self) -> bool:
        return self.ratio <= self.target


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# ---------------------------------------------------------------- the floor


@dataclass
class Floor:
    start: float
    key: float
    rss: float


def bare_app(keys: int) -> Floor:
    """B_start, B_key and B_rss: a bare Textual app with one Static."""
    with Terminal(BARE_APP) as terminal:
        start = terminal.wait_for(READY) - terminal.started
        terminal.settle()
        latencies = []
        for number in range(1, keys + 1):
            pressed = terminal.press("k")
            latencies.append(terminal.wait_for(f"key {number} seen") - pressed)
            terminal.settle(0.02)
        rss = terminal.close()
    return Floor(start, statistics.median(latencies), rss)


def deploy_graph_floor(architecture: Architecture) -> float:
    """B_derive: networkx building the same deploy graph and its topological generations."""
    import networkx as nx

    def build() -> None:
        graph = nx.DiGraph()
        graph.add_nodes_from(service.id for service in architecture.services)
        graph.add_edges_from((edge.provider, edge.consumer) for edge in architecture.deploy_edges)
        list(nx.topological_generations(graph))

    return min(timed(build) for _ in range(5))


# ---------------------------------------------------------------- portstorm in a terminal


def selected_card(name: str) -> re.Pattern[bytes]:
    """The selected card's title line (its cursor bar, number and name) in the terminal's bytes."""
    style = rb"(?:\x1b\[[0-9;]*m)*"
    return re.compile(rb"\xe2\x96\xb6" + style + rb"\d+ " + style + re.escape(name[:12].encode()))


@dataclass
class Opened:
    cards: float
    panels: float
    rss: float


def open_session(path: Path, session: Session, folder: Path) -> tuple[Terminal, Opened]:
    """Start portstorm on a fresh copy of `path`; times to cards and to panels (the terminal stays open)."""
    copy = folder / f"run-{time.monotonic_ns()}.yaml"
    shutil.copy(path, copy)
    terminal = Terminal([*PORTSTORM, str(copy)])
    first = session.events[0].name if session.events else "No events yet"
    try:
        cards = terminal.wait_for(selected_card(first) if session.events else first) - terminal.started
        panels = terminal.wait_for(problems_label(derive(session))) - terminal.started
    except BaseException:
        terminal.close()
        raise
    return terminal, Opened(cards, panels, 0.0)


def open_and_close(path: Path, session: Session, folder: Path) -> Opened:
    terminal, opened = open_session(path, session, folder)
    with terminal:
        terminal.settle()
        opened.rss = terminal.close()
    return opened


FILTER = "refund"  # typed a key at a time: every key filters the whole board again


@dataclass
class Working:
    opened: Opened
    moves: list[float]
    edits_board: list[float]
    edits_panels: list[float]
    filters: list[float]


def work_on(path: Path, session: Session, folder: Path, size: Size, round_number: int) -> Working:
    """Open the big session, move through it, add events and filter the whole board."""
    from tui.board import lanes_of, search_text

    terminal, opened = open_session(path, session, folder)
    with terminal:
        terminal.settle()
        lane = next(lane for lane in lanes_of(session) if 0 in lane.events)
        moves = []
        for number in range(size.keys):
            row = min(number + 1, len(lane.events) - 1)
            pressed = terminal.press("down")
            moves.append(terminal.wait_for(selected_card(session.events[lane.events[row]].name)) - pressed)
            terminal.settle(0.02)
        selected = lane.events[min(size.keys, len(lane.events) - 1)]
        edits_board, edits_panels = [], []
        terminal.press("e")
        terminal.settle()
        for number in range(size.edits):
            name = f"Bench {round_number}-{number} Happened"
            session, _ = apply_capture(session, parse_capture(name), selected)
            selected = next(index for index, event in enumerate(session.events) if event.name == name)
            for char in name:
                terminal.press(char)
            terminal.settle()
            pressed = terminal.press("enter")
            edits_board.append(terminal.wait_for(selected_card(name)) - pressed)
            edits_panels.append(terminal.wait_for(problems_label(derive(session))) - pressed)
            terminal.settle()
        terminal.press("escape")
        terminal.settle()
        filters = []
        terminal.press("/")
        terminal.settle()
        for length in range(1, len(FILTER) + 1):
            words = FILTER[:length]
            shown = sum(words in search_text(event) for event in session.events)
            pressed = terminal.press(FILTER[length - 1])
            filters.append(terminal.wait_for(f"”: {shown} of {len(session.events)} cards") - pressed)
            terminal.settle()
        opened.rss = terminal.close()
    return Working(opened, moves, edits_board, edits_panels, filters)


# ---------------------------------------------------------------- in process


def load_and_derive(path: Path) -> float:
    return timed(lambda: derive(load_session(path)))


def yaml_parse(path: Path) -> float:
    """B_parse: libyaml's C loader on the same file."""
    import yaml

    return timed(lambda: yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader))


def export_everything(session: Session, folder: Path, *, drawings: bool = True) -> float:
    """Every format; without `drawings`, as on a machine without Graphviz (no SVG files)."""
    from unittest import mock

    from exports.bundle import export

    target = folder / f"export-{time.monotonic_ns()}"
    if drawings:
        return timed(lambda: export(session, target))
    with mock.patch("shutil.which", return_value=None):  # how the export looks for Graphviz
        return timed(lambda: export(session, target))


def scripted_edits(count: int, path: Path, folder: Path) -> tuple[float, float, float, float]:
    """Per-edit time and memory early and late over `count` edits with autosave on (headless app).

    Each edit adds an event through the capture line and the next one undoes it, so the
    session keeps its size: any growth is the app's, not the data's.
    """
    os.environ["PORTSTORM_AUTOSAVE_SECONDS"] = "0.05"  # read when tui.workshop is imported
    from tui.app import PortstormApp
    from tui.store import SessionStore
    from tui.workshop import CaptureInput, WorkshopScreen

    copy = folder / "scripted.yaml"
    shutil.copy(path, copy)
    store = SessionStore(copy)
    app = PortstormApp(store, store.load())
    batch = max(10, count // 20) // 2 * 2
    per_edit: list[float] = []
    memory: list[float] = []

    async def drive() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = app.screen
            assert isinstance(screen, WorkshopScreen)
            capture = screen.query_one(CaptureInput)
            for start in range(0, count, batch):
                started = time.perf_counter()
                for number in range(start, start + batch, 2):
                    capture.post_message(CaptureInput.Line(f"Scripted {number} Happened"))
                    await pilot.pause()
                    screen.action_undo()
                await pilot.pause()
                per_edit.append((time.perf_counter() - started) / batch)
                memory.append(resident_mib())
            await pilot.press("ctrl+q")

    asyncio.run(drive())
    early, late = statistics.median(per_edit[1:4]), statistics.median(per_edit[-3:])
    return early, late, memory[1], memory[-1]


def resident_mib() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---------------------------------------------------------------- the run


def compile_portstorm() -> None:
    """Byte-compile portstorm's modules, as installing a package does.

    An editable checkout run with PYTHONDONTWRITEBYTECODE (CI machines set it) would
    otherwise compile every module at every start, a cost no installed portstorm pays
    and the bare app, whose Textual comes compiled, does not pay either.
    """
    for package in ("model", "tui", "exports"):
        compileall.compile_dir(ROOT / package, quiet=1)


def run(size: Size, progress: Callable[[str], None]) -> tuple[list[Row], dict[str, float]]:
    compile_portstorm()
    small_events, big_events = f"{size.small[0]:,}", f"{size.big[0]:,}"
    # Without Graphviz the export skips the SVG drawings: the row must not pass for the whole job.
    no_drawings = "" if shutil.which("dot") else " (Graphviz not installed: no SVGs drawn)"
    rows = {
        row.id: row
        for row in (
            Row("open-empty", "open an empty session, process start to first frame", "B_start", 1.2),
            Row("open-small", f"open {small_events} events, cards visible", "B_start", 1.4),
            Row("open-small-panels", f"open {small_events} events, panels ready", "B_start", 2.5),
            Row("open-big", f"open {big_events} events, cards visible", "B_start", 2.0),
            Row("load-big", f"load + validate + derive + lint, {big_events} events", "B_parse", 1.5),
            Row("move-median", f"move the selection, {big_events} cards (median)", "B_key", 3.0),
            Row("move-slowest", f"move the selection, {big_events} cards (slowest 10%)", "B_key", 5.0),
            Row("edit-board", f"add one event, board repainted ({big_events})", "B_key", 3.0),
            Row("edit-panels", "derived panels repainted after that edit", "2×B_derive+3×B_key", 1.0),
            Row("filter-big", f"filter the whole {big_events}-card board, per key", "B_key", 10.0),
            Row("export-small", f"export everything, {small_events} events{no_drawings}", "1 s", 1.0),
            Row("export-small-own", "the same without Graphviz drawing the SVGs", "1 s", 1.0),
            Row("memory-small", f"peak memory, {small_events} events", "B_rss", 2.0, unit="MiB"),
            Row("memory-big", f"peak memory, {big_events} events", "B_rss", 3.0, unit="MiB"),
        )
    }
    baselines: dict[str, list[float]] = {"B_start": [], "B_key": [], "B_rss": [], "B_parse": [], "B_derive": []}
    with tempfile.TemporaryDirectory(prefix="portstorm-bench-") as scratch:
        folder = Path(scratch)
        empty = Session(name="Empty", app="empty")
        small, big = synthetic_session(*size.small), synthetic_session(*size.big)
        paths = {}
        for label, session in (("empty", empty), ("small", small), ("big", big)):
            paths[label] = folder / f"{label}.yaml"
            save_session(session, paths[label])
        big_architecture = derive(big)
        for round_number in range(1, size.rounds + 1):
            progress(f"round {round_number} of {size.rounds}")
            floor = bare_app(size.keys)
            for name, value in (("B_start", floor.start), ("B_key", floor.key), ("B_rss", floor.rss)):
                baselines[name].append(value)
            opened_empty = open_and_close(paths["empty"], empty, folder)
            add(rows["open-empty"], opened_empty.cards, floor.start)
            opened_small = open_and_close(paths["small"], small, folder)
            add(rows["open-small"], opened_small.cards, floor.start)
            add(rows["open-small-panels"], opened_small.panels, floor.start)
            add(rows["memory-small"], opened_small.rss / 2**20, floor.rss / 2**20)
            working = work_on(paths["big"], big, folder, size, round_number)
            add(rows["open-big"], working.opened.cards, floor.start)
            add(rows["memory-big"], working.opened.rss / 2**20, floor.rss / 2**20)
            add(rows["move-median"], statistics.median(working.moves), floor.key)
            add(rows["move-slowest"], percentile(working.moves, 0.9), floor.key)
            add(rows["edit-board"], statistics.median(working.edits_board), floor.key)
            add(rows["filter-big"], statistics.median(working.filters), floor.key)
            graph_floor = deploy_graph_floor(big_architecture)
            baselines["B_derive"].append(graph_floor)
            add(rows["edit-panels"], statistics.median(working.edits_panels), 2 * graph_floor + 3 * floor.key)
            parse = yaml_parse(paths["big"])
            baselines["B_parse"].append(parse)
            add(rows["load-big"], load_and_derive(paths["big"]), parse)
            add(rows["export-small"], export_everything(small, folder), 1.0)
            add(rows["export-small-own"], export_everything(small, folder, drawings=False), 1.0)
        progress(f"{size.scripted_edits:,} scripted edits")
        early, late, memory_early, memory_late = scripted_edits(size.scripted_edits, paths["small"], folder)
    table = list(rows.values())
    table.append(Row("scripted-latency", f"{size.scripted_edits:,} scripted edits: per-edit time, late/early",
                     "early", 1.25, [late / early], [late]))  # fmt: skip
    table.append(Row("scripted-memory", f"{size.scripted_edits:,} scripted edits: memory, late/early",
                     "early", 1.1, [memory_late / memory_early], [memory_late], unit="MiB"))  # fmt: skip
    return table, {name: statistics.median(values) for name, values in baselines.items()}


def add(row: Row, figure: float, baseline: float) -> None:
    row.figures.append(figure)
    row.ratios.append(figure / baseline)


def show(value: float, unit: str) -> str:
    return f"{value * 1000:.1f} ms" if unit == "ms" else f"{value:.0f} MiB"


def table_text(rows: list[Row], baselines: dict[str, float], earlier: dict[str, float] | None) -> str:
    lines = [
        "| what | measured | against | ratio | target | |" + (" before |" if earlier else ""),
        "|---|---:|---|---:|---:|---|" + ("---:|" if earlier else ""),
    ]
    for row in rows:
        line = (
            f"| {row.what} | {show(row.figure, row.unit)} | {row.baseline} | {row.ratio:.2f} × "
            f"| ≤ {row.target:g} × | {'met' if row.met else '**not met**'} |"
        )
        if earlier:
            before = earlier.get(row.id)
            line += f" {before:.2f} × |" if before is not None else " – |"
        lines.append(line)
    floor = ", ".join(
        f"{name} {value / 2**20:.0f} MiB" if name == "B_rss" else f"{name} {value * 1000:.1f} ms"
        for name, value in baselines.items()
    )
    return "\n".join([*lines, "", f"Baselines (medians): {floor}."])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="one short round on small sessions")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved measurements (default 7; smoke 1)")
    parser.add_argument("--json", type=Path, default=Path("benchmark-results.json"), help="where the results go")
    parser.add_argument("--compare", type=Path, help="an earlier results file to show beside")
    options = parser.parse_args()
    size = SMOKE if options.smoke else FULL
    if options.rounds:
        size = Size(**{**asdict(size), "rounds": options.rounds})
    earlier = None
    if options.compare:
        earlier = {row["id"]: row["ratio"] for row in json.loads(options.compare.read_text())["rows"]}
    rows, baselines = run(size, lambda message: print(f"… {message}", file=sys.stderr, flush=True))
    print(table_text(rows, baselines, earlier))
    results = {
        "mode": "smoke" if options.smoke else "full",
        "size": asdict(size),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "baselines": baselines,
        "rows": [{**asdict(row), "figure": row.figure, "ratio": row.ratio, "met": row.met} for row in rows],
    }
    options.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nResults written to {options.json}")


if __name__ == "__main__":
    main()
