"""The map view widget in a real (headless) Textual app: it shows the drawing and scrolls it."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from model.derive import derive
from model.sessionfile import load_session
from tests.conftest import SAMPLES, session_from
from tui.mapdraw import draw_map
from tui.mapview import MapView

CHAIN = """\
portstorm: 1
name: Chain
app: chain
contexts:
- id: first
- id: second
  uses: [one]
- id: third
  uses: [two]
- id: fourth
  uses: [three]
- id: fifth
  uses: [four]
infrastructure:
- {id: one, kind: table, owner: first}
- {id: two, kind: table, owner: second}
- {id: three, kind: table, owner: third}
- {id: four, kind: table, owner: fourth}
"""
"""Each context owns what the next one uses: five waves, wider than the screen."""


class MapApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MapView(id="map")


def ecommerce_map() -> list[Text]:
    return draw_map(derive(load_session(SAMPLES / "ecommerce.yaml")))


def on_screen(view: MapView) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


async def test_the_map_view_shows_the_map_and_scrolls_down_with_the_keys() -> None:
    app = MapApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(MapView)
        lines = ecommerce_map()
        view.set_map(lines)
        view.focus()
        await pilot.pause()
        assert view.virtual_size.height == len(lines) > 40
        assert view.max_scroll_x == 0  # the e-commerce map fits in 120 columns
        assert [row.rstrip() for row in on_screen(view)] == [line.plain for line in lines[:40]]
        assert "Map&#160;of&#160;shop" in app.export_screenshot()

        await pilot.press("down", "down", "down")
        assert view.scroll_offset.y == 3
        assert on_screen(view)[0].rstrip() == lines[3].plain

        await pilot.press("end")
        assert view.scroll_offset.y == len(lines) - 40
        assert on_screen(view)[-1].rstrip() == lines[-1].plain

        view.set_map(ecommerce_map())  # a redraw after an edit keeps the place
        await pilot.pause()
        assert view.scroll_offset.y == len(lines) - 40


async def test_the_map_view_scrolls_sideways_and_takes_a_new_map() -> None:
    app = MapApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(MapView)
        wide = draw_map(derive(session_from(CHAIN)))
        view.set_map(wide)
        await pilot.pause()
        width = view.scrollable_content_region.width
        assert view.max_scroll_x == max(line.cell_len for line in wide) - width > 0

        view.scroll_to(x=50, y=4, animate=False, immediate=True)
        await pilot.pause()
        assert view.scroll_offset == (50, 0)  # the whole map is shorter than the screen
        # Box-drawing characters and the ids are one cell each: characters are cells here.
        assert [row.rstrip() for row in on_screen(view)[: len(wide)]] == [
            line.plain[50 : 50 + width].rstrip() for line in wide
        ]

        view.set_map(ecommerce_map())
        await pilot.pause()
        assert view.scroll_offset.x == 0
        assert "Map of shop" in on_screen(view)[0]

        view.set_map([])
        await pilot.pause()
        assert view.virtual_size == (0, 0)
        assert not "".join(on_screen(view)).strip()
