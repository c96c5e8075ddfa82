"""The workshop app: opens one session file and shows the workshop screen.

A file that does not exist yet starts a new session there (like an editor), asking only
for its name and app slug. A file another portstorm has open opens read-only unless the
user insists.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from model.session import Session
from tui.commands import WorkshopCommands
from tui.store import LockHolder, SessionStore
from tui.workshop import WorkshopScreen


class PortstormApp(App[None]):
    """A board for EventBridge storming, with the architecture derived as you type."""

    CSS_PATH = "app.tcss"
    TITLE = "portstorm"
    COMMANDS = App.COMMANDS | {WorkshopCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit; unsaved edits are saved first")]

    def __init__(self, store: SessionStore, session: Session | None, *, insist: bool = False) -> None:
        super().__init__()
        self.store, self.session, self.insist = store, session, insist
        self.holder: LockHolder | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._collector_paused = False
        self._terminal = sys.__stdin__.fileno() if sys.__stdin__ is not None and sys.__stdin__.isatty() else None

    def get_default_screen(self) -> Screen[Any]:
        """The workshop itself when the file is free, so no blank screen is built, drawn and covered first."""
        if self.session is not None:
            self.holder = None if self.insist else self.store.lock_holder()
            if self.holder is None:
                self.store.take_lock()
                return WorkshopScreen(self.store, self.session)
        return super().get_default_screen()

    async def on_event(self, event: events.Event) -> None:
        is_key = isinstance(event, (events.Key, events.Paste))
        back = is_key and event.is_forwarded  # read first: forwarding a key marks it so
        if is_key and not back and gc.isenabled():
            # No garbage collection from a key to the frame that answers it: at 10,000 events
            # an edit allocates enough for two or three collections of 2 to 6 ms each. After
            # the frame, the collector catches up while the room reads the board.
            gc.disable()
            self._collector_paused = True
        await super().on_event(event)  # a key back from the focused widget: its binding runs
        if back:
            # Asked of the focused widget, whose repaint is queued ahead of this request; asked
            # of the app, the screen could find nothing to draw yet and call back at once.
            (self.focused or self.screen).call_after_refresh(self._collect_again)

    def _collect_again(self) -> None:
        if self._collector_paused:
            self._collector_paused = False
            gc.enable()

    def _after_first_frame(self) -> None:
        """Turn the collector back on if `portstorm FILE` turned it off to start faster.

        What start-up built (modules, widgets, the session) lives as long as the app, so it is
        frozen: later collections skip it instead of walking all of it while the room types.
        """
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        self.set_interval(1.0, self._each_second)

    def _each_second(self) -> None:
        # A key a field takes (typing, Enter in the capture bar) never comes back to the app,
        # so its pause ends here, a second at most after its frame.
        self._collect_again()
        if self._terminal is not None and not os.isatty(self._terminal):
            # The terminal is gone and no hang-up signal came: portstorm ran under `make`, say,
            # which took the signal. Textual would go on reading nothing from it forever.
            self._save_and_leave(signal.SIGHUP, None)

    def on_mount(self) -> None:
        # A closed terminal window (SIGHUP) or a polite kill (SIGTERM) must not lose the
        # last second of edits that autosave has not written yet.
        self._previous_handlers = {
            number: signal.signal(number, self._save_and_leave) for number in (signal.SIGHUP, signal.SIGTERM)
        }
        self.call_after_refresh(self._after_first_frame)
        if self.session is None:
            self.ask_for_new_session()
            return
        holder = self.holder
        if holder is None:
            return  # the workshop is the default screen
        from tui.dialogs import ChoiceDialog  # only when another portstorm has the file

        def decide(choice: str | None) -> None:
            if choice in (None, "quit"):
                self.exit()
            else:
                self.open_workshop(read_only=choice == "read-only")

        message = (
            f"{self.store.path.name} is already open in another portstorm (process {holder.pid} on {holder.host}, "
            f"since {holder.since}). Two editors would overwrite each other."
        )
        choices = [("read-only", "Open read-only"), ("insist", "Open anyway"), ("quit", "Quit")]
        self.push_screen(ChoiceDialog("Already open", message, choices), decide)

    def open_workshop(self, *, read_only: bool) -> None:
        assert self.session is not None
        if not read_only:
            self.store.take_lock()
        self.push_screen(WorkshopScreen(self.store, self.session, read_only=read_only))

    def ask_for_new_session(self) -> None:
        from pydantic import ValidationError

        from model.sessionfile import dump_session, write_atomic
        from tui.cli import app_slug_from, title_from_stem
        from tui.dialogs import Field, FormDialog, Invalid

        name = title_from_stem(self.store.path.stem)
        fields = [
            Field("name", "Workshop name", name),
            Field("app", "App slug (prefixes sources and SSM paths)", app_slug_from(name)),
        ]

        def build(values: dict[str, Any]) -> Session:
            try:
                session = Session(name=values["name"], app=values["app"].strip())
            except ValidationError as error:
                first = error.errors(include_url=False)[0]
                raise Invalid(str(first["loc"][0]), str(first.get("ctx", {}).get("error", first["msg"]))) from None
            try:
                write_atomic(self.store.path, dump_session(session).encode("utf-8"), exclusive=True)
            except FileExistsError:
                raise Invalid("name", f"{self.store.path.name} appeared meanwhile; open it instead") from None
            except OSError as error:
                raise Invalid("name", f"Cannot create {self.store.path}: {error.strerror or error}") from None
            return session

        def created(session: Session | None) -> None:
            if session is None:
                self.exit()
                return
            self.session = session
            self.store.load()
            self.open_workshop(read_only=False)

        self.push_screen(FormDialog(f"New session: {self.store.path}", fields, build, "Create"), created)

    async def action_quit(self) -> None:
        """Quit, but never with unsaved edits: they are saved first, or the user is told."""
        workshop = next((screen for screen in self.screen_stack if isinstance(screen, WorkshopScreen)), None)
        if workshop is not None and workshop.dirty and not workshop.save_now():
            from tui.dialogs import ChoiceDialog

            def decide(choice: str | None) -> None:
                if choice == "quit":
                    self.exit()

            message = f"{workshop.store.path.name} could not be saved ({workshop.save_error}). Quit and lose the edits?"
            self.push_screen(ChoiceDialog("Not saved", message, [("stay", "Stay"), ("quit", "Quit anyway")]), decide)
            return
        self.exit()

    def on_unmount(self) -> None:
        self.store.close()
        for screen in self.screen_stack:
            if isinstance(screen, WorkshopScreen):
                screen.store.close()  # after "save as", the screen holds another file
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)

    def _save_and_leave(self, number: int, _frame: object) -> None:
        workshop = next((screen for screen in self.screen_stack if isinstance(screen, WorkshopScreen)), None)
        if workshop is not None and workshop.dirty and not workshop.read_only:
            with contextlib.suppress(OSError):  # nowhere is left to report a failure to
                workshop.store.save(workshop.session)
        if workshop is not None:
            workshop.store.close()
        self.store.close()
        os._exit(128 + number)  # the terminal may be gone: no clean-up can draw on it
