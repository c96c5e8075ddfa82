"""Long text drawn line by line: a panel of thousands of lines costs only what is on screen.

The text is a sequence of blocks. Each block is one or more lines, named by a hashable key
that fully determines it, and its text and height (at a width) are kept by that key: when an
edit changes a few blocks, only those are built and measured again. The keys themselves are
asked for only when the text is laid out or drawn, so a hidden tab costs nothing per edit.

LazyText stands where a Static stood, inside a scrolling container: it lays out at its full
height, but Textual asks it only for the lines on screen (the Line API, as the board uses),
and it draws each line exactly as the Static drew it, segment for segment.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Hashable, Sequence
from itertools import accumulate
from typing import Any, cast

from rich._wrap import divide_line  # the line breaker Textual's Content wraps with
from rich.cells import cell_len
from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual
from textual.widget import Widget

Keys = Callable[[], Sequence[Hashable]]
"""Called when the text is next laid out or drawn: the keys of its blocks, top to bottom."""
Build = Callable[[Any], Text]
"""The text of the block with this key: one or more lines, without a final line break."""


def lines_high(plain: str, width: int) -> int:
    """How many lines `plain` takes wrapped to `width`, exactly as Textual's Content wraps it."""
    width = max(width, 1)
    height = 0
    for line in plain.split("\n"):
        text = line.expandtabs(8) if "\t" in line else line
        height += 1 if cell_len(text) <= width else len(divide_line(text, width, fold=True)) + 1
    return height


class _Fixed:
    """The key of a fixed text: equal only to itself, so setting a text always shows it."""

    __slots__ = ("text",)

    def __init__(self, text: Text) -> None:
        self.text = text


def _fixed_text(key: _Fixed) -> Text:
    return key.text


def fixed(text: Text | str) -> tuple[Keys, Build]:
    """Blocks that show one fixed text."""
    key = _Fixed(Text(text) if isinstance(text, str) else text)
    return (lambda: (key,)), _fixed_text


class Blocks:
    """The blocks a view shows, and what it knows of them by key across updates."""

    def __init__(self, plain: Callable[[Any], str] | None = None) -> None:
        self._pending: tuple[Keys, Build] | None = None
        self._plain = plain
        self.build: Build = _fixed_text
        self.keys: tuple[Hashable, ...] = ()
        self._texts: dict[Hashable, Text] = {}
        self._heights: dict[int, dict[Hashable, int]] = {}  # width → key → lines

    def set(self, keys: Keys, build: Build) -> None:
        """Show these blocks from the next sync on."""
        self._pending = (keys, build)

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def sync(self) -> tuple[Hashable, ...] | None:
        """Take the pending blocks. The keys shown before, when they changed; else None."""
        if self._pending is None:
            return None
        source, build = self._pending
        self._pending = None
        keys = tuple(source())
        if build is self.build and keys == self.keys:
            return None
        if build is not self.build:
            self._texts.clear()
            self._heights.clear()
        elif len(self._texts) > 2 * len(keys) + 64:  # forget blocks long gone
            wanted = set(keys)
            self._texts = {key: text for key, text in self._texts.items() if key in wanted}
        old, self.build, self.keys = self.keys, build, keys
        return old

    def text(self, key: Hashable) -> Text:
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self.build(key)
        return text

    def plain(self, key: Hashable) -> str:
        return self._plain(key) if self._plain is not None else self.text(key).plain

    def heights(self, width: int) -> list[int]:
        """The height of each block wrapped to `width`; only blocks new at this width are measured."""
        known = self._heights.get(width)
        if known is None:
            if len(self._heights) > 1:
                self._heights.clear()
            known = self._heights[width] = {}
        keys = self.keys
        result: list[int | None] = list(map(known.get, keys))
        if None in result:
            for index in [index for index, height in enumerate(result) if height is None]:
                key = keys[index]
                measured = known.get(key)  # a key twice among the new ones
                if measured is None:
                    measured = known[key] = lines_high(self.plain(key), width)
                result[index] = measured
        if len(known) > 2 * len(keys) + 64:  # forget blocks long gone
            self._heights[width] = {key: known[key] for key in keys}
        return cast("list[int]", result)  # every None was measured

    def whole(self) -> Text:
        return Text("\n").join(self.text(key) for key in self.keys)


def _shift_offsets(strip: Strip, lines: int) -> Strip:
    """Move a block's text-selection offsets down by the lines of the blocks above it."""
    if not lines:
        return strip
    segments = []
    for text, style, control in strip:
        if style is not None and style._meta and (offset := style.meta.get("offset")) is not None:
            segments.append(Segment(text, style + RichStyle.from_meta({"offset": (offset[0], offset[1] + lines)})))
        else:
            segments.append(Segment(text, style, control))
    return Strip(segments, strip.cell_length)


class LazyText(Widget):
    """A Static's text, drawn line by line: set it as blocks, and only new blocks cost anything."""

    DEFAULT_CSS = """
    LazyText {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, text: Text | str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.blocks = Blocks()
        self._starts: list[int] = [0]  # the first line of each block, then the line count
        self._width: int | None = None  # the width the starts are for
        self._first_lines: list[int] | None = None  # the first logical line of each block
        self._strips: LRUCache[tuple[Hashable, int, Style, int], list[Strip]] = LRUCache(512)
        self._layout_pending = False
        self.set_blocks(*fixed(text))

    def set_blocks(self, keys: Keys, build: Build) -> None:
        """Show these blocks. `keys` is called when the text is next laid out or drawn."""
        self.blocks.set(keys, build)
        if not self.is_mounted:
            return
        if self.region:
            self._sync()  # on screen: draw the change in the next frame
        elif not self._layout_pending:
            self._layout_pending = True
            self.refresh(layout=True)  # when shown, lay out again (and sync then)

    def set_text(self, text: Text | str) -> None:
        self.set_blocks(*fixed(text))

    def _sync(self, *, in_layout: bool = False) -> None:
        self._layout_pending = False
        if self.blocks.sync() is None:
            return
        old_height, self._width, self._first_lines = self._starts[-1], None, None
        if in_layout:
            self.refresh()
            return
        width = self.size.width
        if width:
            self._measure(width)
        self.refresh(layout=self._width is None or self._starts[-1] != old_height)

    def _measure(self, width: int) -> None:
        if width != self._width:
            self._starts = list(accumulate(self.blocks.heights(width), initial=0))
            self._width = width

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._sync(in_layout=True)
        self._measure(width)
        return self._starts[-1]

    def render(self) -> RenderableType:
        """All the text at once, for text selection and tests (render_line draws)."""
        self._sync(in_layout=True)
        return self.blocks.whole()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.visual_style
        if self.blocks.pending:
            self._sync()
        self._measure(width)
        index = bisect_right(self._starts, y) - 1
        keys = self.blocks.keys
        if not 0 <= index < len(keys):
            return Strip.blank(width, style.rich_style)
        if self._first_lines is None:
            self._first_lines = list(accumulate((self.blocks.plain(key).count("\n") + 1 for key in keys), initial=0))
        key, first_line = keys[index], self._first_lines[index]
        cache_key = (key, width, style, first_line)
        strips = self._strips.get(cache_key)
        if strips is None:
            content = Content.from_rich_text(self.blocks.text(key), console=self.app.console)
            strips = [
                _shift_offsets(strip, first_line) for strip in Visual.to_strips(self, content, width, None, style)
            ]
            self._strips[cache_key] = strips
        offset = y - self._starts[index]
        return strips[offset] if offset < len(strips) else Strip.blank(width, style.rich_style)

    def notify_style_update(self) -> None:
        self._strips.clear()
        super().notify_style_update()
