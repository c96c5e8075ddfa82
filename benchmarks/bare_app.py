"""The floor: a bare Textual app with one Static, which says how many keys it has seen."""

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

READY = "bare app ready"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(READY)

    def on_key(self, event: events.Key) -> None:
        self.keys = getattr(self, "keys", 0) + 1
        self.query_one(Static).update(f"key {self.keys} seen")


if __name__ == "__main__":
    BareApp().run()
