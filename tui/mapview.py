"""The map view widget: shows the lines `tui.mapdraw.draw_map` drew and scrolls them both ways."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class MapView(ScrollView):
    """A Line API widget: Textual asks only for the lines on screen, so a map of ten thousand
    lines scrolls as smoothly as a small one. The keys of any scrollable container (arrows,
    page up and down, home, end) and the mouse scroll it once it has focus.
    """

    DEFAULT_CSS = """
    MapView {
        background: $surface;
    }
    """

    def __init__(
        self, lines: Iterable[Text] = (), *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Text] = []
        self._strips: LRUCache[int, Strip] = LRUCache(1024)
        """Lines already turned into segments (without the widget's own style, applied on top)."""
        self.set_map(lines)

    def set_map(self, lines: Iterable[Text]) -> None:
        """Show these lines instead (a redrawn map, another focus); the scroll position is kept where it fits."""
        self._lines = list(lines)
        self._strips.clear()
        self.virtual_size = Size(max((line.cell_len for line in self._lines), default=0), len(self._lines))
        self.refresh()

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            line = self._lines[index]
            strip = self._strips[index] = Strip(line.render(self.app.console), line.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, None).apply_style(self.rich_style)
