"""The architecture panels, driven with Pilot: they steer, follow edits and look as the widgets they replaced.

The tabs draw only the lines on screen (tui/lines.py, tui/problemlist.py); these tests pin that
they still behave and look like the OptionList and Statics they replaced, and that an edit
builds and measures only what changed.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable

import pytest
from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import OptionList, Static, TabbedContent

from model.derive import Architecture, derive
from model.lint import Problem
from model.session import Session
from tests.conftest import SAMPLES, session_from
from tests.test_app import app_for, capture, screen_of, settle
from tui import lines, workshop
from tui.board import Board
from tui.lines import Blocks, LazyText
from tui.panels import ArchitecturePanel, flows_text, problem_prompt, services_text, waves_text
from tui.problemlist import ProblemList

SIZE = (60, 20)

TWO_CONTEXTS = """
    portstorm: 1
    name: Two
    app: two
    contexts:
    - {id: orders, name: Orders}
    - {id: payments, name: Payments}
    events:
    - {name: Order Placed, context: orders}
    - {name: Payment Taken, context: payments}
"""


@pytest.fixture(autouse=True)
def quick_autosave(monkeypatch):
    monkeypatch.setattr(workshop, "AUTOSAVE_SECONDS", 0.01)


def many_problems(count: int = 60) -> tuple[Problem, ...]:
    """Problems of one to four lines at the panel's width, of every severity."""
    severities = ("error", "warning", "info")
    return tuple(
        Problem(
            severities[number % 3],
            "test-rule",
            f"problem {number}: " + "this needs a look " * (number % 7),
            (f"subject-{number}",),
        )
        for number in range(count)
    )


def screen_text(app: App) -> str:
    """What the screen shows, row by row (from the SVG screenshot Textual exports)."""
    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    pattern = r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)" textLength="[\d.]+" clip-path="[^"]*">(.*?)</text>'
    for x, y, text in re.findall(pattern, svg, re.S):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return "\n".join("".join(text for _, text in sorted(row)) for _, row in sorted(rows.items()))


def screenshot(app: App) -> str:
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


class PanelApp(App[None]):
    """The panel alone, shown what the test derives."""

    CSS = "ArchitecturePanel { height: 100%; }"

    def __init__(self) -> None:
        super().__init__()
        self.animation_level = "none"  # the tab underline jumps: screenshots are comparable at once
        self.chosen: list[Problem] = []

    def compose(self) -> ComposeResult:
        yield ArchitecturePanel(id="panel")

    @on(ArchitecturePanel.ProblemChosen)
    def remember(self, message: ArchitecturePanel.ProblemChosen) -> None:
        self.chosen.append(message.problem)

    @property
    def panel(self) -> ArchitecturePanel:
        return self.query_one(ArchitecturePanel)

    @property
    def problem_list(self) -> ProblemList:
        return self.query_one(ProblemList)


def with_problems(problems: tuple[Problem, ...]) -> Architecture:
    return Architecture(app="test", services=(), flows=(), deploy_edges=(), deploy_waves=(), problems=problems)


class OneWidgetApp(App[None]):
    """A widget in a box that takes the screen, as a tab's content."""

    CSS = "#box { height: 1fr; }"

    def __init__(self, make: Callable[[], Widget], fill: Callable[[Widget], None] | None = None) -> None:
        super().__init__()
        self.make, self.fill = make, fill

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield self.make()

    def on_mount(self) -> None:
        if self.fill is not None:
            self.fill(self.query_one("#subject"))


def option_list_of(problems: tuple[Problem, ...]) -> OneWidgetApp:
    return OneWidgetApp(
        lambda: OptionList(id="subject"),
        lambda widget: widget.add_options([problem_prompt(problem) for problem in problems]),  # type: ignore[attr-defined]
    )


def problem_list_of(problems: tuple[Problem, ...]) -> OneWidgetApp:
    return OneWidgetApp(lambda: ProblemList(id="subject"), lambda widget: widget.show(problems))  # type: ignore[attr-defined]


# ------------------------------------------------------------ the problem list


async def test_keys_move_the_highlight_and_scroll_as_an_option_list_does() -> None:
    problems = many_problems()
    keys = ["down", "down", "up", "up", "up", "home", "pagedown", "pagedown", "down", "end", "pageup", "down", "home"]
    trails = []
    for app in (option_list_of(problems), problem_list_of(problems)):
        trail = []
        async with app.run_test(size=SIZE) as pilot:
            subject = app.query_one("#subject")
            subject.focus()
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
                trail.append((key, subject.highlighted, subject.scroll_offset.y))  # type: ignore[attr-defined]
        trails.append(trail)
    option_list, problem_list = trails
    assert problem_list == option_list
    assert ("up", len(problems) - 1) in [(key, highlighted) for key, highlighted, _ in problem_list]  # wraps


@pytest.mark.parametrize("keys", [[], ["down", "down"], ["end", "pageup", "up"]], ids=["plain", "cursor", "scrolled"])
@pytest.mark.parametrize("focused", [True, False], ids=["focused", "blurred"])
async def test_the_problem_list_looks_as_an_option_list_did(keys: list[str], focused: bool) -> None:
    problems = many_problems()
    shots = []
    for app in (option_list_of(problems), problem_list_of(problems)):
        async with app.run_test(size=SIZE) as pilot:
            app.query_one("#subject").focus()
            for key in keys:
                await pilot.press(key)
            if not focused:
                app.set_focus(None)
            await pilot.pause()
            shots.append(screenshot(app))
    assert shots[1] == shots[0]


async def test_a_short_list_is_as_high_as_its_problems() -> None:
    shots = []
    for app in (option_list_of(many_problems(3)), problem_list_of(many_problems(3))):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            shots.append(screenshot(app))
            assert app.query_one("#subject").region.height < SIZE[1] - 5
    assert shots[1] == shots[0]


async def test_enter_and_a_click_choose_the_problem() -> None:
    problems = many_problems()
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        app.panel.show(with_problems(problems))
        await pilot.pause()  # the tabs mount with the first derivation
        app.query_one(TabbedContent).active = "tab-problems"
        await pilot.pause()
        app.problem_list.focus()
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert app.chosen == [problems[2]]
        # Under the list's top border, problems 0 and 1 are a line each at this width.
        await pilot.click(ProblemList, offset=(5, 2))
        await pilot.pause()
        assert app.chosen[-1] == problems[1]
        assert app.problem_list.highlighted == 1


async def test_the_list_follows_an_edit_and_keeps_the_highlight_on_its_problem() -> None:
    problems = many_problems(30)
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        app.panel.show(with_problems(problems))
        await pilot.pause()  # the tabs mount with the first derivation
        app.query_one(TabbedContent).active = "tab-problems"
        await pilot.pause()
        app.problem_list.focus()
        await pilot.press(*["down"] * 6)  # problem 5
        await pilot.pause()
        assert app.problem_list.highlighted == 5
        new = Problem("error", "new-rule", "a brand new problem", ("x",))
        edited = (*problems[:2], new, *problems[2:])
        app.panel.show(with_problems(edited))
        await pilot.pause()
        assert app.problem_list.highlighted == 6
        assert app.problem_list.problems[6] == problems[5]
        assert "a brand new problem" in screen_text(app)
        assert str(app.query_one(TabbedContent).get_tab("tab-problems").label) == "Problems 11✖ 10⚠"
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [problems[5]]
        app.panel.show(with_problems(problems[:3]))  # its problem went: the highlight stays in the list
        await pilot.pause()
        assert app.problem_list.highlighted == 2
        assert str(app.query_one(TabbedContent).get_tab("tab-problems").label) == "Problems 1✖ 1⚠"


async def test_a_derivation_that_comes_before_the_tabs_is_shown_once_they_are_there() -> None:
    # The tabs mount with the first derivation, whether it comes before the first frame or after.
    texts = []
    for early in (True, False):
        app = PanelApp()
        async with app.run_test(size=SIZE) as pilot:
            if early:
                app.panel.show(with_problems(many_problems(5)))
            await pilot.pause()
            if not early:
                assert not app.panel.query(TabbedContent)  # nothing to show yet: no tabs to lay out
                assert "deriving…" in screen_text(app)
                app.panel.show(with_problems(many_problems(5)))
            await pilot.wait_for_scheduled_animations()  # the tab's underline moves under the new label
            await pilot.pause()
            texts.append(screen_text(app))
    assert "deriving…" not in texts[0]
    assert texts[0] == texts[1]


@pytest.mark.parametrize("count", [4, 40], ids=["label-as-wide", "label-wider"])
async def test_the_problems_tab_shows_new_counts_as_a_fresh_panel_does(count: int) -> None:
    # A label as wide as the last repaints the tab alone; a wider one lays the tabs out again.
    shots = []
    for shown in ([many_problems(3), many_problems(count)], [many_problems(count)]):
        app = PanelApp()
        async with app.run_test(size=SIZE) as pilot:
            for problems in shown:  # the tabs mount with the first
                app.panel.show(with_problems(problems))
                await pilot.pause()
            await pilot.wait_for_scheduled_animations()  # the tab's underline goes under its label
            await pilot.pause()
            shots.append(screenshot(app))
            errors = sum(problem.severity == "error" for problem in many_problems(count))
            warnings = sum(problem.severity == "warning" for problem in many_problems(count))
            assert f"Problems {errors}✖ {warnings}⚠" in screen_text(app)
    assert shots[0] == shots[1]


async def test_enter_on_a_problem_jumps_to_its_card(tmp_path) -> None:
    path = tmp_path / "storm.yaml"
    path.write_text("portstorm: 1\nname: Storm\napp: storm\n")
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await capture(pilot, "Alpha Happened @a", "Lonely Happened")
        screen = screen_of(app)
        screen.query_one(TabbedContent).active = "tab-problems"
        await pilot.pause()
        problem_list = screen.query_one(ProblemList)
        problem_list.focus()
        target = next(index for index, item in enumerate(problem_list.problems) if item.rule == "unassigned-event")
        await pilot.press(*["down"] * (target + 1), "enter")
        await pilot.pause()
        board = screen.query_one(Board)
        assert board.selected_event == 1
        assert board.has_focus


# ------------------------------------------------------------ the text tabs


@pytest.mark.parametrize("scroll", [0, 7, 1000], ids=["top", "middle", "end"])
async def test_lazy_text_looks_as_the_static_did(scroll: int) -> None:
    session = session_from((SAMPLES / "ecommerce.yaml").read_text())
    architecture = derive(session)
    texts = [services_text(architecture), flows_text(architecture), waves_text(architecture)]

    class Old(App[None]):
        CSS = "Static { padding: 0 1; }"
        TITLE = "panel"

        def compose(self) -> ComposeResult:
            with VerticalScroll():
                yield Static(self.text)

    class New(App[None]):
        TITLE = "panel"

        def compose(self) -> ComposeResult:
            with VerticalScroll():
                yield LazyText(self.text)

    for text in texts:
        shots = []
        for kind in (Old, New):
            app = kind()
            app.text = text  # type: ignore[attr-defined]
            async with app.run_test(size=SIZE) as pilot:
                app.query_one(VerticalScroll).scroll_to(y=scroll, animate=False)
                await pilot.pause()
                shots.append(screenshot(app))
        assert shots[1] == shots[0]


async def test_text_blocks_are_the_text_the_tabs_showed() -> None:
    architecture = derive(session_from((SAMPLES / "ecommerce.yaml").read_text()))
    services = services_text(architecture).plain
    assert services.startswith("Platform  platform · wave 1\n")
    assert services.endswith("\n\n")  # a blank line after each service, as before
    assert flows_text(architecture).plain.endswith("\n")
    waves = waves_text(architecture)
    assert waves.plain.startswith("Deploy in this order; a wave's services can deploy in parallel.\n\nWave 1\n")
    assert all(str(span.style) in ("dim", "bold") for span in waves.spans)
    assert flows_text(with_problems(())).plain.startswith("No event crosses a context yet")
    assert waves_text(with_problems(())).plain.startswith("The deploy graph has a cycle")


async def test_a_hidden_tab_waits_and_is_current_when_shown() -> None:
    asked: list[str] = []
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        before = derive(session_from(TWO_CONTEXTS))
        app.panel.show(before)
        await pilot.pause()  # the tabs mount with the first derivation
        flows = app.query_one("#flows", LazyText)
        original = flows.set_blocks

        def counting(keys, build) -> None:
            def keys_asked():
                asked.append("flows")
                return keys()

            original(keys_asked, build)

        flows.set_blocks = counting  # type: ignore[method-assign]
        with_policy = session_from(
            TWO_CONTEXTS + "    policies:\n    - {when: Order Placed, context: payments, then: Take Payment}\n"
        )
        app.panel.show(derive(with_policy))
        await pilot.pause()
        assert asked == []  # the Flows tab is hidden: nothing done for it
        app.query_one(TabbedContent).active = "tab-flows"
        await pilot.pause()
        assert asked
        assert "orders → payments" in screen_text(app)
        assert "Take Payment" in screen_text(app)


@pytest.mark.parametrize("tab", ["tab-services", "tab-flows", "tab-waves", "tab-problems"])
async def test_a_tab_edited_while_hidden_looks_as_if_shown_fresh(tab: str) -> None:
    before = derive(session_from(TWO_CONTEXTS))
    after = derive(
        session_from(
            TWO_CONTEXTS
            + "    - {name: Refund Issued, context: payments}\n"
            + "    policies:\n    - {when: Order Placed, context: payments, then: Take Payment}\n"
        )
    )
    shots = []
    for edits in ([before, after], [after]):
        app = PanelApp()
        async with app.run_test(size=SIZE) as pilot:
            for architecture in edits:  # the tabs mount with the first
                app.panel.show(architecture)
                await pilot.pause()
            app.query_one(TabbedContent).active = tab
            await pilot.pause()
            shots.append(screenshot(app))
    assert shots[0] == shots[1]


async def test_the_panels_follow_edits_in_the_workshop(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    shutil.copy(SAMPLES / "ecommerce.yaml", path)
    app = app_for(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        tabs = screen.query_one(TabbedContent)
        tabs.active = "tab-flows"
        await pilot.pause()
        await capture(pilot, "Parcel Weighed @shipping -> notifications: Tell Customer")
        assert "shipping → notifications" in screen_text(app)
        tabs.active = "tab-problems"
        await pilot.pause()
        problems = screen.query_one(ProblemList).problems
        assert problems == screen.architecture.problems  # type: ignore[union-attr]
        assert any("'Parcel Weighed'" in problem.message for problem in problems)


# ------------------------------------------------------------ doing only what changed


def test_an_edit_builds_and_measures_only_the_new_blocks(monkeypatch) -> None:
    built: list[int] = []
    measured: list[str] = []
    real_lines_high = lines.lines_high

    def measuring(plain: str, width: int) -> int:
        measured.append(plain)
        return real_lines_high(plain, width)

    monkeypatch.setattr(lines, "lines_high", measuring)

    def build(key: int) -> Text:
        built.append(key)
        return Text(f"block {key} " + "word " * (key % 13))

    blocks = Blocks()
    keys = list(range(2000))
    blocks.set(lambda: keys, build)
    blocks.sync()
    assert len(blocks.heights(40)) == 2000
    assert len(built) == len(measured) == 2000
    built.clear()
    measured.clear()
    edited = [*keys[:700], 5000, *keys[700:]]
    blocks.set(lambda: edited, build)
    assert blocks.sync() == tuple(keys)
    heights = blocks.heights(40)
    assert built == [5000]
    assert measured == [blocks.text(5000).plain]
    assert heights[700] == lines.lines_high(blocks.text(5000).plain, 40)
    blocks.set(lambda: list(edited), build)
    assert blocks.sync() is None  # the same blocks: nothing to do


@pytest.mark.parametrize("width", [1, 5, 12, 40])
def test_heights_are_those_textual_wraps_to(width: int) -> None:
    from textual.content import Content
    from textual.css.styles import Styles

    texts = [
        "",
        "short",
        "a line that is long enough to wrap several times at a narrow width",
        "averyveryverylongwordthatmustbefoldedbecauseitdoesnotfit and then some",
        "two\nlines and a\n\nblank one",
        "wide ✖ ⚠ → ← ▸ · and 東京 characters",
    ]
    for text in texts:
        assert lines.lines_high(text, width) == Content(text).get_height(Styles(), width), text


def session_with_events(count: int) -> Session:
    events = "\n".join(f"    - {{name: Thing {number} Happened, context: orders}}" for number in range(count))
    return session_from(TWO_CONTEXTS + events + "\n")


async def test_many_problems_show_drawing_only_those_on_screen(monkeypatch) -> None:
    from tui import problemlist

    drawn: list[str] = []
    real = problemlist.problem_block

    def drawing(line: str) -> Text:
        drawn.append(line)
        return real(line)

    monkeypatch.setattr(problemlist, "problem_block", drawing)
    architecture = derive(session_with_events(400))
    assert len(architecture.problems) > 400
    app = PanelApp()
    async with app.run_test(size=SIZE) as pilot:
        app.panel.show(with_problems([]))
        await pilot.pause()  # the tabs mount with the first derivation
        app.query_one(TabbedContent).active = "tab-problems"
        await pilot.pause()
        app.panel.show(architecture)
        await pilot.pause()
        assert 0 < len(drawn) < SIZE[1]  # only the problems on screen were drawn
