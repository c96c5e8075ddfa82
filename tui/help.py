"""The help screen's text: every key binding, from the bindings themselves."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.binding import Binding

from model.capture import CAPTURE_SYNTAX


def help_text(app: App[object]) -> Text:
    """Quick capture syntax, then the keys of every screen and widget that has some."""
    from tui.board import Board
    from tui.workshop import WorkshopScreen

    text = Text()
    text.append("Quick capture (e)\n", "bold underline")
    text.append(f"  {CAPTURE_SYNTAX}\n", "bold")
    text.append("  Order Placed                 adds an event after the selected card\n")
    text.append("  Order Placed @orders         ...in context orders (created if new)\n")
    text.append("  ... -> inventory: Reserve Stock   ...and whenever it happens, inventory runs Reserve Stock\n\n")
    for title, bindings in (
        ("The workshop", WorkshopScreen.BINDINGS),
        ("The board", Board.BINDINGS),
        ("Everywhere", app.BINDINGS),
    ):
        text.append(f"{title}\n", "bold underline")
        for binding in bindings:
            if isinstance(binding, Binding):
                text.append(f"  {app.get_key_display(binding):<14}", "bold cyan")
                text.append(f"{binding.tooltip or binding.description}\n")
        text.append("\n")
    text.append("tab / shift+tab move between the board and the panels; ctrl+p finds any action.", "italic")
    return text
