"""The Problems tab: thousands of problems in one list, drawn only where it is on screen.

It looks and steers like the OptionList it replaces (the same styles, keys and mouse), but an
edit costs only the problems that are new: each problem's height is kept by its
message (tui/lines.py), and only the lines on screen are wrapped and drawn.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable
from itertools import accumulate
from operator import attrgetter
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual
from textual.widget import Widget

from tui.board import visible_text
from tui.lines import Blocks

if TYPE_CHECKING:
    from model.lint import Problem

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}


def visible(text: str) -> str:
    """`visible_text`, without its per-character work for text that needs none."""
    return text if text.isprintable() else visible_text(text)


def problem_line(problem: Problem) -> str:
    return f"{problem.severity:<7} {visible(problem.message)}"


def problem_block(line: str) -> Text:
    """A problem's line: its severity (in its colour, seven wide) and its message."""
    text = Text(line[:8], SEVERITY_STYLE[line[:7].rstrip()])
    text.append(line[8:])
    return text


def _measured_as(message: str) -> str:
    # Every severity fills the same eight cells, so a problem's height is its message's.
    return "warning " + visible(message)


class ProblemList(ScrollView, can_focus=True):
    """The problems, one option each: up/down (wrapping), home/end, page up/down; enter or click chooses.

    After an edit the highlight stays on the same problem, wherever it moved in the list.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
        Binding("home", "first", "First", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
        Binding("up", "cursor_up", "Up", show=False),
    ]

    # OptionList's own look, so the list looks as it did when it was one.
    DEFAULT_CSS = """
    ProblemList {
        height: auto;
        max-height: 100%;
        color: $foreground;
        overflow-x: hidden;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        & > .problem-list--option-highlighted {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .problem-list--option-highlighted {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
        & > .problem-list--option-highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        & > .problem-list--option-hover {
            background: $block-hover-background;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "problem-list--option",
        "problem-list--option-highlighted",
        "problem-list--option-hover",
    }

    ALLOW_SELECT = False

    highlighted: reactive[int | None] = reactive(None)
    """The index of the highlighted problem, or None."""

    hovered: reactive[int | None] = reactive(None)
    """The index of the problem under the mouse, or None."""

    class Chosen(Message):
        """Enter or a click on a problem."""

        def __init__(self, problem: Problem) -> None:
            self.problem = problem
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.blocks = Blocks(_measured_as)
        self.problems: tuple[Problem, ...] = ()
        self._incoming: tuple[Problem, ...] = ()
        self._starts: list[int] = [0]  # the first line of each problem, then the line count
        self._measured: tuple[int, int] | None = None  # the content size the starts are for
        self._strips: LRUCache[tuple[Hashable, int, Style], list[Strip]] = LRUCache(256)
        self._layout_pending = False

    # ------------------------------------------------------------ content

    def show(self, problems: tuple[Problem, ...]) -> None:
        """Show these problems; measured now when on screen, else when next shown."""
        self._incoming = problems
        self.blocks.set(lambda: list(map(attrgetter("message"), problems)), problem_block)
        if self.region:
            self._update()
            self.refresh()
        elif not self._layout_pending:
            self._layout_pending = True
            self.refresh(layout=True)  # when shown, lay out again (and sync then)

    @property
    def count(self) -> int:
        self._sync()
        return len(self.blocks.keys)

    def _sync(self) -> bool:
        """Take the problems shown last; True when their lines changed."""
        self._layout_pending = False
        old = self.blocks.sync()
        if old is None:
            self.problems = self._incoming
            return False
        self.problems, self._measured = self._incoming, None
        highlighted = self.highlighted
        if highlighted is None or not self.problems:
            self.set_reactive(ProblemList.highlighted, None)
            return True
        keys, was = self.blocks.keys, old[highlighted] if highlighted < len(old) else None
        near = [index for index in (highlighted, highlighted + 1, highlighted - 1) if 0 <= index < len(keys)]
        found = next((index for index in near if keys[index] == was), None)
        if found is None:
            found = keys.index(was) if was in keys else min(highlighted, len(keys) - 1)
        self.set_reactive(ProblemList.highlighted, found)
        if found != highlighted:
            self.call_after_refresh(self.scroll_to_highlight)
        return True

    # ------------------------------------------------------------ measuring

    def _update(self) -> bool:
        """Sync the problems and measure them for the current size; True when they changed."""
        changed = self._sync()
        region = self.content_region
        if not region:
            if changed and self.region:
                self.refresh(layout=True)  # an empty list, on screen: it grows to its problems
            return changed
        if self._measured == region.size:
            return changed
        # A problem is at least a line: more problems than lines means a scrollbar, so
        # measure once at the width left beside it rather than twice.
        width, bar = region.width, self.styles.scrollbar_size_vertical
        if len(self.blocks.keys) > region.height:
            width -= bar
            heights = self.blocks.heights(width)
        else:
            heights = self.blocks.heights(width)
            if sum(heights) > region.height:
                width -= bar
                heights = self.blocks.heights(width)
        self._starts = list(accumulate(heights, initial=0))
        self._measured = region.size
        virtual_size = Size(width, self._starts[-1])
        if virtual_size != self.virtual_size:
            before = self.virtual_size.height
            # Not `self.virtual_size = …`: that lays the whole screen out again, needed only
            # when the list's own height follows its lines (shorter than it may be).
            self.set_reactive(ProblemList.virtual_size, virtual_size)
            self._scroll_update(virtual_size)
            self.refresh(layout=min(before, virtual_size.height) < self._most_lines())
        return changed

    def _most_lines(self) -> int:
        """How many lines the list can show at most (its max-height is its box's height)."""
        parent = self.parent
        box = parent.size.height if isinstance(parent, Widget) else self.app.size.height
        return box - self.styles.gutter.height

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._sync()
        count = len(self.blocks.keys)
        if count >= container.height:
            return count  # a line each at least: as high as it may be (max-height) anyway
        return sum(self.blocks.heights(width))

    def on_resize(self) -> None:
        self._update()

    def on_show(self) -> None:
        self._update()
        self.scroll_to_highlight()

    def _problem_at(self, line: int) -> int | None:
        index = bisect_right(self._starts, line) - 1
        return index if 0 <= index < len(self.blocks.keys) else None

    def _region_of(self, index: int) -> Region:
        self._update()
        if index + 1 >= len(self._starts):
            return Region()  # not measured: not on screen
        start, end = self._starts[index], self._starts[index + 1]
        return Region(0, start, self.scrollable_content_region.width, end - start)

    # ------------------------------------------------------------ drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        self._update()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        index = self._problem_at(line)
        if index is None:
            return Strip.blank(width, self.get_visual_style("problem-list--option").rich_style)
        if index == self.highlighted:
            style = self.get_visual_style("problem-list--option", "problem-list--option-highlighted")
        elif index == self.hovered:
            style = self.get_visual_style("problem-list--option", "problem-list--option-hover")
        else:
            style = self.get_visual_style("problem-list--option")
        key = problem_line(self.problems[index])
        strips = self._strips.get((key, width, style))
        if strips is None:  # as an OptionList draws an option
            content = Content.from_rich_text(problem_block(key), console=self.app.console)
            strips = [
                strip.extend_cell_length(width, style.rich_style)
                for strip in Visual.to_strips(self, content, width, None, style)
            ]
            self._strips[key, width, style] = strips
        offset = line - self._starts[index]
        return strips[offset] if offset < len(strips) else Strip.blank(width, style.rich_style)

    def notify_style_update(self) -> None:
        self._strips.clear()
        super().notify_style_update()

    # ------------------------------------------------------------ moving and choosing

    def validate_highlighted(self, highlighted: int | None) -> int | None:
        count = self.count
        if highlighted is None or not count:
            return None
        return max(0, min(highlighted, count - 1))

    def watch_highlighted(self) -> None:
        self.scroll_to_highlight()
        self.refresh()

    def watch_hovered(self) -> None:
        self.refresh()

    def scroll_to_highlight(self) -> None:
        if self.highlighted is None or not self.is_mounted or not self.content_region:
            return
        self.scroll_to_region(self._region_of(self.highlighted), force=True, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        if count := self.count:
            self.highlighted = count - 1 if self.highlighted is None else (self.highlighted - 1) % count

    def action_cursor_down(self) -> None:
        if count := self.count:
            self.highlighted = 0 if self.highlighted is None else (self.highlighted + 1) % count

    def action_first(self) -> None:
        self.highlighted = 0 if self.count else None

    def action_last(self) -> None:
        self.highlighted = self.count - 1 if self.count else None

    def _move_page(self, direction: int) -> None:
        self._update()
        lines = self._starts[-1]
        if not lines:
            return
        line = self._region_of(self.highlighted or 0).y + direction * self.scrollable_content_region.height
        self.highlighted = self._problem_at(max(0, min(line, lines - 1)))

    def action_page_up(self) -> None:
        if self.highlighted is None:
            self.action_first()
        else:
            self._move_page(-1)

    def action_page_down(self) -> None:
        if self.highlighted is None:
            self.action_last()
        else:
            self._move_page(1)

    def action_select(self) -> None:
        self._sync()
        if self.highlighted is not None and self.highlighted < len(self.problems):
            self.post_message(self.Chosen(self.problems[self.highlighted]))

    def _index_at(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None or offset.x >= self.scrollable_content_region.width:
            return None
        self._update()
        return self._problem_at(self.scroll_offset.y + offset.y)

    async def _on_click(self, event: events.Click) -> None:
        index = self._index_at(event)
        if index is not None:
            self.highlighted = index
            self.action_select()

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self.hovered = self._index_at(event)

    def _on_leave(self, _: events.Leave) -> None:
        self.hovered = None
