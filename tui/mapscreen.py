"""The map view: services, waves, ports and flows drawn in the terminal."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from model.session import Session
from tui.footer import Footer
from tui.mapview import MapView


class MapScreen(Screen[None]):
    """The whole map, or one context and its neighbours (f toggles)."""

    BINDINGS = [
        Binding("escape", "dismiss", "Back to the board"),
        Binding("m", "dismiss", "Board", show=False),
        Binding("f", "toggle_focus", "Whole map / this context"),
    ]

    def __init__(self, session: Session, focus: str | None) -> None:
        super().__init__()
        self.session = session
        self.context = focus
        self.one_context = False

    def compose(self) -> ComposeResult:
        yield MapView(id="map")
        yield Footer()

    def on_mount(self) -> None:
        self.draw()
        self.query_one(MapView).focus()

    def action_toggle_focus(self) -> None:
        if self.context is None:
            self.notify("Select a card in a context's lane first", severity="warning")
            return
        self.one_context = not self.one_context
        self.draw()

    def draw(self) -> None:
        self.compute(self.context if self.one_context else None)

    @work(thread=True, exclusive=True, group="map")
    def compute(self, focus: str | None) -> None:
        from model.derive import derive
        from tui.mapdraw import draw_map

        lines = draw_map(derive(self.session), focus)
        self.app.call_from_thread(self.query_one(MapView).set_map, lines)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.app.pop_screen()
