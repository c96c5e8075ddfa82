"""The workshop screen: the board, the derived architecture beside it, quick capture below.

Every edit goes through `model.edits`, lands in the undo history, repaints the board at
once, and asks a worker thread for the derived architecture, so typing never waits for
it. Saving is automatic (about a second after the last edit), atomic, and never
overwrites a file someone else changed.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import ValidationError
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from model import edits
from model.capture import CAPTURE_SYNTAX, CaptureError, apply_capture, parse_capture
from model.edits import EditError
from model.history import History
from model.session import PLATFORM, Context, Event, FieldType, Hotspot, Policy, Resource, ResourceKind, Session
from model.sessionfile import SessionError, load_session
from tui.board import Board, visible_text
from tui.footer import Footer
from tui.panels import ArchitecturePanel
from tui.phases import PHASES, still_missing
from tui.store import SessionStore

if TYPE_CHECKING:
    from model.derive import Architecture
    from model.lint import Problem

# The first frame needs no dialog, map, export or help screen: each action imports its own.

AUTOSAVE_SECONDS = float(os.environ.get("PORTSTORM_AUTOSAVE_SECONDS", "1"))
"""How long after the last edit the session is saved (quitting and hanging up save at once)."""
WATCH_SECONDS = 1.0
RETRY_SECONDS = 5.0  # after a failed save (disk full, folder gone), try again this often
UNSORTED = "-"  # the picker's key for "no context"
NARROW_COLUMNS = 110  # below this the panels go under the board


class Derived(Message):
    """The worker derived the architecture of one version of the session."""

    def __init__(self, session: Session, architecture: Architecture) -> None:
        self.session, self.architecture = session, architecture
        super().__init__()


class Saved(Message):
    def __init__(self, session: Session, error: str | None) -> None:
        self.session, self.error = session, error
        super().__init__()


class CaptureInput(Input):
    """Quick capture: each Enter hands over the line typed so far and empties the input at once.

    Handing the line over in the key handler keeps lines apart however fast they come
    (a fast typist, a terminal sending a burst): Input's own submit action runs later,
    after the next line's first keys have already been typed into it.

    Lines and changes then go straight to the screen, in the order they were made, and
    ahead of this input's own repaint: the board a key changes (a new card, a filter) is
    drawn in the same frame as the key's echo, not in the next one, which Textual paces a
    frame period later.
    """

    # Input widens its virtual size with every key typed, and Textual's own reactive then
    # lays the whole screen out again (15 ms here), though the input's size never changes.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    class Line(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def _on_paste(self, event: events.Paste) -> None:
        """A pasted list (from a chat, a photo's transcript) becomes one event per line."""
        lines = [line for line in event.text.splitlines() if line.strip()]
        if len(lines) < 2:
            return  # Textual runs Input's own paste handler next, as for any single line
        event.stop()
        event.prevent_default()
        for line in lines:
            self.post_message(self.Line(line))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":  # any other key goes on to Input's own handler (Textual walks the classes)
            event.stop()
            event.prevent_default()
            self.post_message(self.Line(self.value))  # after the Changed of the keys before, before the emptied value's
            self.value = ""

    def _on_capture_input_line(self, line: Line) -> None:
        line.stop()
        self.screen.post_message(self.Line(line.text))

    def _on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.screen.post_message(Input.Changed(self, event.value, event.validation_result))


class WorkshopScreen(Screen[None]):
    """Run the workshop: capture, order, group, react; see the architecture follow."""

    BINDINGS = [
        Binding("e", "capture", "Capture", tooltip="Type events quickly: " + CAPTURE_SYNTAX),
        Binding("enter", "edit", "Edit", tooltip="Edit the selected card"),
        Binding("c", "new_context", "Context", tooltip="Create a bounded context"),
        Binding("a", "assign", "Assign", tooltip="Assign the marked (or selected) cards to a context"),
        Binding("p", "policy", "Policy", tooltip="Whenever this event happens, a context runs a command"),
        Binding("h", "hotspot", "Hotspot", tooltip="Raise a question or risk about this card"),
        Binding("delete", "delete", "Delete", tooltip="Delete the marked (or selected) cards"),
        Binding("u", "context_settings", "Context settings", show=False, tooltip="Rename a context, its owner, uses"),
        Binding("D", "delete_context", "Delete context", show=False, tooltip="Its events become unsorted"),
        Binding("i", "resource", "Infrastructure", show=False, tooltip="Add shared infrastructure (a port)"),
        Binding("ctrl+z", "undo", "Undo"),
        Binding("ctrl+y", "redo", "Redo"),
        Binding("ctrl+s", "save", "Save", show=False, tooltip="Save now (autosave runs after every edit)"),
        Binding("S", "save_as", "Save as", show=False, tooltip="Save to another file and go on there"),
        Binding("x", "export", "Export"),
        Binding("m", "map", "Map"),
        Binding("v", "toggle_panels", "Panels", tooltip="Show the panels instead of the board (narrow screens)"),
        Binding("o", "open_report", "Open report", show=False, tooltip="Open the last exported report.html"),
        Binding("left_square_bracket", "phase(-1)", "Previous phase", show=False),
        Binding("right_square_bracket", "phase(1)", "Next phase", show=False),
        Binding("t", "timebox", "Timebox", show=False, tooltip="Set a countdown for the current phase"),
        Binding("slash", "filter", "Filter", show=False, tooltip="Show only the cards with these words"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, store: SessionStore, session: Session, *, read_only: bool = False) -> None:
        super().__init__()
        self.store = store
        self.recovered = None if read_only else store.recover()
        self.history = History(session)
        self.read_only = read_only
        self.filter_typing = False  # the capture line holds a filter being typed
        self.architecture: Architecture | None = None
        self.derive_asked_for: Session | None = None  # the version the last derivation was started for
        self.dirty = False
        self.save_error: str | None = None
        self.phase = 0
        self.timebox_end: float | None = None
        self.autosave_timer: Timer | None = None
        self.conflict_open = False
        self.last_export: Path | None = None

    @property
    def session(self) -> Session:
        return self.history.session

    def compose(self) -> ComposeResult:
        yield Static(id="phasebar")
        with Horizontal(id="main"):
            yield Board(self.session, id="board")
            yield ArchitecturePanel(id="panel")
        with Vertical(id="capture-area"):
            yield CaptureInput(
                placeholder=f"e, then type what happened:  {CAPTURE_SYNTAX}   · / filters the board",
                id="capture",
                select_on_focus=False,  # coming back to a half-typed line (or a filter) goes on typing
            )
        yield Static(id="status")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_COLUMNS, "-narrow")
        self.update_phasebar()

    def action_toggle_panels(self) -> None:
        """On a narrow screen the panels take the board's place until toggled back."""
        self.toggle_class("-panels")
        target = "#panel TabbedContent" if self.has_class("-panels") else "#board"
        self.query_one(target).focus()

    def on_mount(self) -> None:
        self.query_one(Board).focus()
        # After the first frame: the worker's first derivation would compete with painting it.
        self.call_after_refresh(self.derive_soon)
        self.call_after_refresh(self.prepare_saving)
        self.update_phasebar()
        self.set_interval(WATCH_SECONDS, self.watch_file)
        self.set_interval(1.0, self.tick)
        if self.read_only:
            self.say("Read-only: another portstorm has this file open. Nothing you change is saved.", "warning")
        elif self.recovered is not None:
            saved = self.session
            self.history.apply(self.recovered, "recovered unsaved edits")
            self.after_change()
            self.say(
                f"Recovered edits that were not saved when portstorm stopped: {recovery_summary(saved, self.session)}"
                " (ctrl+z shows the saved file)",
                "warning",
            )

    # ------------------------------------------------------------ edits

    def apply(self, session: Session, label: str, select: int | None = None) -> None:
        """Record an edit, repaint at once, derive and save soon."""
        if self.read_only:
            self.say("Read-only: this change was not made.", "warning")
            return
        self.history.apply(session, label)
        self.after_change(select)
        self.say(label)

    def after_change(self, select: int | None = None) -> None:
        if not self.read_only:
            try:
                self.store.record(self.session)  # on disk before the screen says it is done
            except OSError as failure:
                self.say(f"Could not journal this edit ({failure.strerror or failure}); it is kept here", "error")
        self.query_one(Board).show(self.session, select)
        self.dirty = True
        # After the frame that shows the edit: a derivation started now would hold the
        # interpreter in turns with the board's repaint and slow it down.
        self.call_after_refresh(self.derive_soon)
        self.update_phasebar()
        if self.autosave_timer is not None:
            self.autosave_timer.stop()
        self.autosave_timer = self.set_timer(AUTOSAVE_SECONDS, self.autosave)

    def attempt(self, edit: Any, *args: Any) -> Session | None:
        """Run an edit; a refused one is said in the status line."""
        try:
            result: Session = edit(self.session, *args)
        except EditError as error:
            self.say(str(error), "error")
            return None
        return result

    # ------------------------------------------------------------ deriving

    def derive_soon(self) -> None:
        self.derive_asked_for = self.session
        self.derive_in_background(self.session)

    # A description, because Textual would otherwise name the worker after the repr of
    # its arguments: the whole session, 150 ms at 10,000 events, on the main thread.
    @work(thread=True, exclusive=True, group="derive", description="derive")
    def derive_in_background(self, session: Session) -> None:
        from model.derive import derive  # off the start-up path

        self.post_message(Derived(session, derive(session)))

    @work(thread=True, group="save", description="prepare saving")
    def prepare_saving(self) -> None:
        """Write every record's YAML once, off the main thread: the first edit's journal entry is then quick."""
        self.store.prepare(self.session)

    @on(Derived)
    def derived(self, message: Derived) -> None:
        if message.session is not self.session:
            return  # an older version; a newer result is on its way
        self.architecture = message.architecture
        self.query_one(ArchitecturePanel).show(message.architecture)
        self.update_phasebar()

    # ------------------------------------------------------------ saving

    def autosave(self) -> None:
        if self.dirty and not self.read_only and not self.conflict_open:
            if self.store.changed_outside() is not None:
                self.conflict()
                return
            self.save_in_background(self.session)

    @work(thread=True, group="save", description="save")
    def save_in_background(self, session: Session) -> None:
        try:
            self.store.save(session)
            error = None
        except OSError as failure:
            error = failure.strerror or str(failure)
        self.post_message(Saved(session, error))

    @on(Saved)
    def saved(self, message: Saved) -> None:
        self.save_error = message.error
        if message.error:
            self.say(
                f"Not saved: {message.error}. Your edits are kept here; portstorm retries, S saves elsewhere.", "error"
            )
            self.set_timer(RETRY_SECONDS, self.autosave)
        elif message.session is self.session:
            self.dirty = False
        self.update_phasebar()

    def save_now(self) -> bool:
        """Save on the main thread (quitting, ctrl+s); False with the reason said when it fails."""
        if self.read_only:
            return True
        if self.store.changed_outside() is not None:
            self.conflict()
            return False
        try:
            self.store.save(self.session)
        except OSError as failure:
            self.save_error = failure.strerror or str(failure)
            self.say(f"Not saved: {self.save_error}. Your edits are kept here; S saves elsewhere.", "error")
            self.update_phasebar()
            return False
        self.dirty, self.save_error = False, None
        self.update_phasebar()
        return True

    def action_save(self) -> None:
        if self.save_now():
            self.say(f"Saved {self.store.path.name}")

    def action_save_as(self) -> None:
        """Save elsewhere (a full disk, a read-only folder) and carry on editing there."""
        from tui.dialogs import Field, FormDialog, Invalid

        suggestion = self.store.path.with_name(f"{self.store.path.stem}-copy{self.store.path.suffix}")

        def build(values: dict[str, Any]) -> SessionStore:
            target = Path(values["path"].strip()).expanduser()
            if not values["path"].strip():
                raise Invalid("path", "Where should the session go?")
            if target.exists() and target.resolve() != self.store.path.resolve():
                raise Invalid("path", f"{target} exists already; choose a new file")
            store = SessionStore(target)
            try:
                store.save(self.session)
            except OSError as error:
                raise Invalid("path", f"Cannot write there: {error.strerror or error}") from None
            return store

        def done(store: SessionStore | None) -> None:
            if store is None:
                return
            self.store.close()  # a journal of edits the old file lacks stays beside it
            self.store = store
            self.store.take_lock()
            self.dirty, self.save_error = False, None
            self.update_phasebar()
            self.say(f"Saved as {store.path}; editing goes on there")

        self.app.push_screen(FormDialog("Save as", [Field("path", "File", str(suggestion))], build, "Save"), done)

    def watch_file(self) -> None:
        if not self.conflict_open and self.store.changed_outside() is not None:
            self.conflict()

    def conflict(self) -> None:
        """Someone else changed the file: never overwrite it blindly."""
        from tui.dialogs import ChoiceDialog

        self.conflict_open = True

        def decide(choice: str | None) -> None:
            self.conflict_open = False
            theirs = self.store.changed_outside()
            if theirs is None:
                return
            if choice == "reload":
                try:
                    loaded = load_session(self.store.path)
                except SessionError as error:
                    self.say(f"Their version does not load, so yours is kept: {error}", "error")
                    self.store.keep_theirs_beside(theirs)
                    self.store.known = theirs
                    self.save_now()
                    return
                self.store.known = theirs
                self.history.apply(loaded, "reloaded from disk")
                self.after_change()
                self.dirty = False
                self.say("Reloaded the file from disk (ctrl+z brings your version back)")
            else:
                beside = self.store.keep_theirs_beside(theirs)
                self.store.known = theirs
                self.save_now()
                self.say(f"Kept your version; theirs is saved as {beside.name}")

        self.app.push_screen(
            ChoiceDialog(
                "The file changed on disk",
                f"{self.store.path.name} was changed by someone else (another editor, a git pull).",
                [("reload", "Load theirs"), ("keep", "Keep mine (theirs is saved beside it)")],
            ),
            decide,
        )

    # ------------------------------------------------------------ capture

    def action_capture(self) -> None:
        # Focus now, not after a refresh: the room types fast, and a key that reached the
        # board instead of the input would run a board command. (That is also why the input
        # is always shown: a hidden widget cannot take the focus at once.)
        self.set_focus(self.query_one("#capture", CaptureInput))
        self.say("Capturing: Enter adds each event after the selected card; Esc goes back to the board", "hint")

    def action_filter(self) -> None:
        """The capture line takes the filter too: `/` then words; the board follows each key."""
        field = self.query_one("#capture", CaptureInput)
        self.set_focus(field)
        field.value = "/" + self.query_one(Board).filter
        field.cursor_position = len(field.value)

    def filter_board(self, words: str) -> None:
        board = self.query_one(Board)
        shown = board.set_filter(words)
        if shown is None:
            self.say("Showing every card")
        else:
            self.say(
                f"{shown} of {len(self.session.events)} cards shown; Enter keeps the filter, / and Enter clears it"
            )

    @on(CaptureInput.Line)
    def captured(self, line: CaptureInput.Line) -> None:
        text = line.text.strip()
        if text.startswith("/"):
            self.filter_typing = False
            self.filter_board(text[1:])
            self.set_focus(self.query_one(Board))
            return
        if not text:
            return
        try:
            capture = parse_capture(text)
            session, created = apply_capture(self.session, capture, self.query_one(Board).selected_event)
        except (CaptureError, EditError) as problem:
            self.say(str(problem), "error")
            field = self.query_one("#capture", Input)
            if not field.value:  # give the line back to fix, unless typing went on
                field.value = line.text
            return
        added = next(index for index, item in enumerate(session.events) if item.name == capture.name)
        label = f"added {capture.name!r}" + (f"; created context {', '.join(created)}" if created else "")
        self.apply(session, label, select=added)

    @on(Input.Changed, "#capture")
    def capture_hint(self, event: Input.Changed) -> None:
        if event.value.startswith("/"):
            self.filter_board(event.value[1:])
            self.filter_typing = True
            return
        if self.filter_typing:  # the "/" was deleted: the filter goes with it
            self.filter_typing = False
            self.filter_board("")
        if not event.value.strip():
            return
        try:
            parse_capture(event.value)
        except CaptureError as hint:
            self.say(str(hint), "hint")
        else:
            self.say("")

    def key_escape(self) -> None:
        if self.focused is self.query_one("#capture", CaptureInput):
            self.set_focus(self.query_one(Board))

    # ------------------------------------------------------------ cards

    def selected(self) -> int | None:
        selected = self.query_one(Board).selected_event
        if selected is None:
            self.say("Select a card first (arrows, or click one)", "hint")
        return selected

    def action_edit(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        index = self.selected()
        if index is None:
            return
        event = self.session.events[index]
        contexts = [(visible_text(context.title), context.id) for context in self.session.contexts]
        fields = [
            Field("name", "Name (a past-tense fact)", event.name),
            Field("context", "Context", event.context or UNSORTED, "choice", [("Unsorted", UNSORTED), *contexts]),
            Field("command", "Command (blue note)", event.command or ""),
            Field("actor", "Actor (yellow note)", event.actor or ""),
            Field("aggregate", "Aggregate", event.aggregate or ""),
            Field("pivotal", "Pivotal event", event.pivotal, "check"),
            Field("fields", "Fields", _fields_text(event.fields), placeholder="orderId: string, total: number"),
            Field("notes", "Notes", event.notes or ""),
        ]

        def build(values: dict[str, Any]) -> Session:
            try:
                updated = Event(
                    name=values["name"],
                    context=None if values["context"] == UNSORTED else values["context"],
                    command=values["command"].strip() or None,
                    actor=values["actor"].strip() or None,
                    aggregate=values["aggregate"].strip() or None,
                    pivotal=values["pivotal"],
                    fields=_parse_fields(values["fields"]),
                    notes=values["notes"] or None,
                    **event.extensions,
                )
            except ValidationError as error:
                raise Invalid(str(error.errors()[0]["loc"][0]), _message(error)) from None
            try:
                return edits.update_event(self.session, index, updated)
            except EditError as error:
                raise Invalid("name", str(error)) from None

        def done(session: Session | None) -> None:
            if session is not None and session is not self.session:
                self.apply(session, f"edited {event.name!r}", select=index)

        self.app.push_screen(FormDialog("Edit event", fields, build), done)

    def action_delete(self) -> None:
        chosen = self.query_one(Board).marked_events
        if not chosen:
            return
        session = self.attempt(edits.delete_events, chosen)
        if session is not None:
            names = ", ".join(repr(self.session.events[index].name) for index in chosen[:3])
            more = f" and {len(chosen) - 3} more" if len(chosen) > 3 else ""
            self.query_one(Board).marked.clear()
            self.apply(session, f"deleted {names}{more} (ctrl+z brings it back)")

    @on(Board.MoveRequested)
    def move(self, message: Board.MoveRequested) -> None:
        board = self.query_one(Board)
        index = message.event_index
        if message.dy:
            lane = board.lanes[board.lane].events
            position = lane.index(index) + message.dy
            if not 0 <= position < len(lane):
                return
            session = self.attempt(edits.move_event, index, lane[position])
            if session is not None:
                self.apply(session, "moved in the timeline", select=lane[position])
        else:
            target = board.lane + message.dx
            if not 0 <= target < len(board.lanes):
                return
            context = board.lanes[target].context
            session = self.attempt(edits.assign, [index], context)
            if session is not None:
                self.apply(session, f"moved to {context or 'Unsorted'}", select=index)

    def action_hotspot(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        index = self.selected()
        about = self.session.events[index].name if index is not None else None

        def build(values: dict[str, Any]) -> Session:
            if not values["text"].strip():
                raise Invalid("text", "Say what the question or risk is")
            return edits.add_hotspot(self.session, Hotspot(text=values["text"], about=about))

        def done(session: Session | None) -> None:
            if session is not None:
                self.apply(session, "hotspot added", select=index)

        title = f"Hotspot on {visible_text(about)}" if about else "Hotspot"
        self.app.push_screen(FormDialog(title, [Field("text", "Question or risk")], build, "Add"), done)

    # ------------------------------------------------------------ contexts and policies

    def context_choices(self) -> list[tuple[str, str]]:
        return [(context.id, f"{visible_text(context.title)}  ({context.id})") for context in self.session.contexts]

    def action_new_context(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        fields = [
            Field("id", "Id (lowercase, e.g. orders)"),
            Field("name", "Name (optional)"),
            Field("owner", "Owner team (optional)"),
        ]

        def build(values: dict[str, Any]) -> Session:
            try:
                context = Context(id=values["id"].strip(), name=values["name"] or None, owner=values["owner"] or None)
            except ValidationError as error:
                raise Invalid("id", _message(error)) from None
            try:
                return edits.add_context(self.session, context)
            except EditError as error:
                raise Invalid("id", str(error)) from None

        def done(session: Session | None) -> None:
            if session is not None:
                self.apply(session, "context created")

        self.app.push_screen(FormDialog("New bounded context", fields, build, "Create"), done)

    def action_assign(self) -> None:
        from tui.dialogs import PickDialog

        chosen = self.query_one(Board).marked_events
        if not chosen:
            self.say("Select or mark (space) the cards to assign", "hint")
            return

        def done(context_id: str | None) -> None:
            if context_id is None:
                return
            target = None if context_id == UNSORTED else context_id
            session = self.attempt(edits.assign, chosen, target)
            if session is not None:
                self.query_one(Board).marked.clear()
                self.apply(session, f"{len(chosen)} card{'s' if len(chosen) != 1 else ''} to {target or 'Unsorted'}")

        items = [*self.context_choices(), (UNSORTED, "Unsorted")]
        self.app.push_screen(PickDialog(f"Assign {len(chosen)} card(s) to", items, "c creates a new context"), done)

    def action_context_settings(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        context_id = self.query_one(Board).selected_context
        context = next((item for item in self.session.contexts if item.id == context_id), None)
        if context is None:
            self.say("Move to a context's lane first", "hint")
            return
        fields = [
            Field("name", "Name", context.name or ""),
            Field("owner", "Owner team", context.owner or ""),
            Field("uses", "Uses (shared resources, comma-separated)", ", ".join(context.uses)),
        ]

        def build(values: dict[str, Any]) -> Session:
            uses = tuple(item.strip() for item in values["uses"].split(",") if item.strip())
            try:
                updated = context.model_copy(
                    update={"name": values["name"] or None, "owner": values["owner"] or None, "uses": uses}
                )
                return edits.update_context(self.session, context.id, Context.model_validate(updated.model_dump()))
            except ValidationError as error:
                raise Invalid("uses", _message(error)) from None
            except EditError as error:
                raise Invalid("uses", str(error)) from None

        def done(session: Session | None) -> None:
            if session is not None:
                self.apply(session, f"context {context.id} updated")

        self.app.push_screen(FormDialog(f"Context {context.id}", fields, build), done)

    def action_delete_context(self) -> None:
        from tui.dialogs import ChoiceDialog

        context_id = self.query_one(Board).selected_context
        if context_id is None:
            self.say("Move to a context's lane first", "hint")
            return

        def done(choice: str | None) -> None:
            if choice == "delete":
                session = self.attempt(edits.delete_context, context_id)
                if session is not None:
                    self.apply(session, f"context {context_id} deleted; its events are unsorted (ctrl+z undoes)")

        message = f"Delete context {context_id}? Its events become unsorted, its policies go."
        self.app.push_screen(ChoiceDialog("Delete context", message, [("delete", "Delete"), ("keep", "Keep")]), done)

    def action_policy(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        index = self.selected()
        if index is None:
            return
        if not self.session.contexts:
            self.say("Create a context first (c): policies say which context reacts", "hint")
            return
        event = self.session.events[index]
        choices = [(visible_text(context.title), context.id) for context in self.session.contexts]
        fields = [
            Field("context", "Which context reacts", choices[0][1], "choice", choices),
            Field("then", "With which command", placeholder="Reserve Stock"),
        ]

        def build(values: dict[str, Any]) -> Session:
            if not values["then"].strip():
                raise Invalid("then", "Name the command the context runs")
            try:
                return edits.add_policy(
                    self.session, Policy(when=event.name, then=values["then"], context=values["context"])
                )
            except EditError as error:
                raise Invalid("then", str(error)) from None

        def done(session: Session | None) -> None:
            if session is not None:
                self.apply(session, "policy added", select=index)

        self.app.push_screen(FormDialog(f"Whenever {visible_text(event.name)}…", fields, build, "Add"), done)

    def action_resource(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        kinds = [(kind, kind) for kind in get_args(ResourceKind) if kind != "event-bus"]
        owners = [("platform (recommended)", PLATFORM)] + [(f"{c.title} ({c.id})", c.id) for c in self.session.contexts]
        fields = [
            Field("id", "Id (e.g. user-pool)"),
            Field("kind", "Kind", kinds[0][1], "choice", kinds),
            Field("owner", "Owned by", PLATFORM, "choice", owners),
        ]

        def build(values: dict[str, Any]) -> Session:
            try:
                resource = Resource(id=values["id"].strip(), kind=values["kind"], owner=values["owner"])
            except ValidationError as error:
                raise Invalid("id", _message(error)) from None
            try:
                return edits.add_resource(self.session, resource)
            except EditError as error:
                raise Invalid("id", str(error)) from None

        def done(session: Session | None) -> None:
            if session is not None:
                self.apply(session, "shared resource added; u on a lane sets who uses it")

        self.app.push_screen(FormDialog("Shared infrastructure", fields, build, "Add"), done)

    # ------------------------------------------------------------ history

    def action_undo(self) -> None:
        label = self.history.undo()
        if label is None:
            self.say("Nothing to undo", "hint")
            return
        self.after_change()
        self.say(f"Undid: {label}")

    def action_redo(self) -> None:
        label = self.history.redo()
        if label is None:
            self.say("Nothing to redo", "hint")
            return
        self.after_change()
        self.say(f"Redid: {label}")

    # ------------------------------------------------------------ problems, map, export

    @on(ArchitecturePanel.ProblemChosen)
    def jump_to_problem(self, message: ArchitecturePanel.ProblemChosen) -> None:
        board = self.query_one(Board)
        problem: Problem = message.problem
        for subject in problem.subjects:
            index = edits.event_index(self.session, subject)
            if index is not None:
                board.select_event(index)
                board.focus()
                return
            if any(context.id == subject for context in self.session.contexts):
                board.select_lane(subject)
                board.focus()
                return
        self.say(f"{problem.rule}: about {', '.join(problem.subjects)}", "hint")

    def action_map(self) -> None:
        from tui.mapscreen import MapScreen

        self.app.push_screen(MapScreen(self.session, focus=self.query_one(Board).selected_context))

    def action_export(self) -> None:
        from tui.exportdialog import start_export

        start_export(self)

    def action_open_report(self) -> None:
        import webbrowser

        report = self.last_export / "report.html" if self.last_export else None
        if report is None or not report.exists():
            self.say("Export first (x): then o opens its report.html", "hint")
            return
        opened = webbrowser.open(report.resolve().as_uri())
        self.say(f"Opened {report}" if opened else f"No browser here: open {report} yourself", "hint")

    # ------------------------------------------------------------ phases and status

    def action_phase(self, step: int) -> None:
        self.phase = max(0, min(len(PHASES) - 1, self.phase + step))
        self.timebox_end = None
        self.update_phasebar()

    def action_timebox(self) -> None:
        from tui.dialogs import Field, FormDialog, Invalid

        def build(values: dict[str, Any]) -> float:
            try:
                minutes = float(values["minutes"])
            except ValueError:
                raise Invalid("minutes", "A number of minutes, like 15") from None
            if not 0 < minutes <= 600:
                raise Invalid("minutes", "Between 0 and 600 minutes")
            return minutes

        def done(minutes: float | None) -> None:
            if minutes is not None:
                self.timebox_end = time.monotonic() + minutes * 60
                self.update_phasebar()

        phase = PHASES[self.phase]
        self.app.push_screen(
            FormDialog(f"Timebox for {phase.title}", [Field("minutes", "Minutes", "15")], build, "Start"), done
        )

    def tick(self) -> None:
        if self.timebox_end is not None:
            self.update_phasebar()
        if self.derive_asked_for is not self.session:
            # An edit asks for its derivation after its frame; a screen opened and closed
            # within that frame can take the request with it.
            self.derive_soon()

    def update_phasebar(self) -> None:
        phase = PHASES[self.phase]
        bar = Text()
        bar.append(" portstorm ", "bold reverse")
        bar.append(f" {visible_text(self.session.name)}  ", "bold")
        if self.has_class("-narrow"):
            bar.append(f" {phase.number}/{len(PHASES)} {phase.title} ", "bold reverse")
        else:
            for item in PHASES:
                style = "bold reverse" if item is phase else "dim"
                bar.append(f" {item.number} {item.title} ", style)
        bar.append("  ")
        if self.read_only:
            bar.append(" read-only ", "bold white on dark_red")
        elif self.save_error:
            bar.append(" NOT SAVED ", "bold white on red")
        else:
            bar.append(" ● unsaved " if self.dirty else " ✓ saved ", "bold yellow" if self.dirty else "green")
        if self.timebox_end is not None:
            left = max(0, int(self.timebox_end - time.monotonic()))
            bar.append(f" ⏱ {left // 60:02d}:{left % 60:02d}", "bold red" if left < 60 else "bold")
        bar.append(f"\n {phase.hint} · ", "italic")
        bar.append(still_missing(phase, self.session, self.architecture), "bold")
        # Most edits leave the bar as it was. Redrawn anyway, the bar at the top and the status
        # line at the bottom would make Textual draw every widget between them again, the
        # whole board included, in the panels' frame after an edit.
        phasebar = self.query_one("#phasebar", Static)
        if bar != phasebar.content:
            phasebar.update(bar, layout=False)  # a fixed height: no layout pass

    def say(self, message: str, kind: str = "info") -> None:
        style = {"error": "bold red", "warning": "bold yellow", "hint": "italic"}.get(kind, "")
        self.query_one("#status", Static).update(Text(visible_text(message), style), layout=False)

    def action_help(self) -> None:
        from tui.dialogs import TextDialog
        from tui.help import help_text

        self.app.push_screen(TextDialog("Keys", help_text(self.app)))


def recovery_summary(saved: Session, recovered: Session) -> str:
    """'3 more events, 1 more policy' — what the journal brought back, in counts."""
    changes = []
    for label, before, after in (
        ("event", saved.events, recovered.events),
        ("context", saved.contexts, recovered.contexts),
        ("policy", saved.policies, recovered.policies),
        ("hotspot", saved.hotspots, recovered.hotspots),
    ):
        difference = len(after) - len(before)
        if difference:
            plural = ("policies" if label == "policy" else label + "s") if abs(difference) != 1 else label
            changes.append(f"{abs(difference)} {plural} {'more' if difference > 0 else 'fewer'}")
    return ", ".join(changes) or "changed cards"


def _fields_text(fields: dict[str, FieldType] | None) -> str:
    return ", ".join(f"{name}: {kind}" for name, kind in (fields or {}).items())


_FIELD = re.compile(r"\s*([^:,]+?)\s*:\s*([a-z]+)\s*")


def _parse_fields(text: str) -> dict[str, Any] | None:
    """'orderId: string, total: number' -> {'orderId': 'string', 'total': 'number'}."""
    from tui.dialogs import Invalid

    if not text.strip():
        return None
    found: dict[str, Any] = {}
    for part in text.split(","):
        match = _FIELD.fullmatch(part)
        if not match:
            raise Invalid("fields", f"Write fields as name: type, like orderId: string ({part.strip()!r})")
        found[match.group(1)] = match.group(2)
    return found


def _message(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    if first["type"] == "value_error":
        return str(first["ctx"]["error"])
    if first["type"] == "literal_error":
        return f"Choose one of {first['ctx']['expected']}"
    return str(first["msg"])
