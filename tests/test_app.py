"""The workshop app, driven with Pilot: every flow checked on the saved file and the architecture."""

from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from textual import messages
from textual.filter import ANSIToTruecolor
from textual.geometry import Region
from textual.widgets._footer import FooterKey

from model import edits
from model.derive import derive
from model.session import Event
from model.sessionfile import load_session, save_session
from tests.conftest import SAMPLES
from tui import workshop
from tui.app import PortstormApp
from tui.board import LANE_WIDTH, Board, search_text
from tui.dialogs import ChoiceDialog, FormDialog, PickDialog, TextDialog
from tui.footer import Footer
from tui.store import SessionStore
from tui.workshop import WorkshopScreen

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def quick_autosave(monkeypatch):
    monkeypatch.setattr(workshop, "AUTOSAVE_SECONDS", 0.01)


@pytest.fixture
def shop(tmp_path) -> Path:
    path = tmp_path / "shop.yaml"
    shutil.copy(SAMPLES / "ecommerce.yaml", path)
    return path


@pytest.fixture
def empty(tmp_path) -> Path:
    path = tmp_path / "storm.yaml"
    path.write_text("portstorm: 1\nname: Storm\napp: storm\n")
    return path


def app_for(path: Path, **options) -> PortstormApp:
    store = SessionStore(path)
    return PortstormApp(store, store.load() if path.exists() else None, **options)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["space" if char == " " else char for char in text])


async def settle(pilot) -> None:
    """Let timers fire and the derive and save workers finish, until the edits are on disk."""
    for _ in range(300):  # bounded: a busy machine runs the autosave timer late
        await pilot.pause(0.01)
        await pilot.app.workers.wait_for_complete()
        screen = next((item for item in pilot.app.screen_stack if isinstance(item, WorkshopScreen)), None)
        if screen is None or not screen.dirty or screen.read_only or screen.save_error:
            break
    await pilot.pause()


async def submit(pilot) -> None:
    """Enter in a form's first text field submits it, as a facilitator would."""
    pilot.app.screen.query("Input").first().focus()
    await pilot.press("enter")
    await pilot.pause()


def screen_of(app: PortstormApp) -> WorkshopScreen:
    return next(screen for screen in app.screen_stack if isinstance(screen, WorkshopScreen))


async def capture(pilot, *lines: str) -> None:
    await pilot.press("e")
    for line in lines:
        await type_text(pilot, line)
        await pilot.press("enter")
    await pilot.press("escape")
    await settle(pilot)


async def test_capture_every_syntax_form_and_undo_a_created_context(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Order Placed", "Payment Taken @payments", "Stock Reserved @inventory -> orders: Confirm")
        saved = load_session(empty)
        assert [event.name for event in saved.events] == ["Order Placed", "Payment Taken", "Stock Reserved"]
        assert [event.context for event in saved.events] == [None, "payments", "inventory"]
        assert [context.id for context in saved.contexts] == ["payments", "inventory", "orders"]
        assert [(policy.when, policy.context, policy.then) for policy in saved.policies] == [
            ("Stock Reserved", "orders", "Confirm")
        ]
        architecture = derive(saved)
        assert [(flow.event, flow.producer, flow.consumer) for flow in architecture.flows] == [
            ("Stock Reserved", "inventory", "orders")
        ]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [context.id for context in load_session(empty).contexts] == ["payments"]


async def test_mistyped_capture_gets_a_hint_not_an_error(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await type_text(pilot, "Order Placed @")
        await pilot.press("enter")
        await settle(pilot)
        status = str(screen_of(app).query_one("#status").render())
        assert "@" in status
        assert load_session(empty).events == ()
        assert app.screen.query_one("#capture").has_focus


async def test_edit_a_card_in_the_form(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        board = app.screen.query_one(Board)
        board.select_event(0)
        await pilot.press("enter")
        assert isinstance(app.screen, FormDialog)
        name = app.screen.query_one("#field-name")
        name.value = "Visitor Arrived"
        app.screen.query_one("#field-pivotal").value = True
        app.screen.query_one("#field-fields").value = "visitorId: string, at: string"
        await submit(pilot)
        await settle(pilot)
        first = load_session(shop).events[0]
        assert (first.name, first.pivotal, first.fields) == (
            "Visitor Arrived",
            True,
            {"visitorId": "string", "at": "string"},
        )


async def test_the_form_shows_validation_in_place(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(Board).select_event(0)
        await pilot.press("enter")
        app.screen.query_one("#field-name").value = load_session(shop).events[1].name
        await submit(pilot)
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        assert "already" in str(app.screen.query_one("#error-name").render())
        app.screen.query_one("#field-name").value = "Fine Name Given"
        app.screen.query_one("#field-fields").value = "no type here"
        await submit(pilot)
        await pilot.pause()
        assert "name: type" in str(app.screen.query_one("#error-fields").render())


async def test_new_context_then_assign_marked_cards(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Cart Created", "Item Added", "Cart Abandoned")
        await pilot.press("c")
        app.screen.query_one("#field-id").value = "carts"
        app.screen.query_one("#field-name").value = "Shopping Carts"
        await submit(pilot)
        await settle(pilot)
        board = app.screen.query_one(Board)
        board.select_event(0)
        await pilot.press("space", "down", "space")
        await pilot.press("a")
        assert isinstance(app.screen, PickDialog)
        await type_text(pilot, "cart")
        await pilot.press("enter")
        await settle(pilot)
        saved = load_session(empty)
        assert [event.context for event in saved.events] == ["carts", "carts", None]
        assert saved.contexts[0].name == "Shopping Carts"


async def test_policy_on_an_event(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        before = len(load_session(shop).policies)
        board = app.screen.query_one(Board)
        board.select_event(0)
        event = load_session(shop).events[0]
        await pilot.press("p")
        app.screen.query_one("#field-context").value = "notifications"
        app.screen.query_one("#field-then").value = "Send Hello"
        await submit(pilot)
        await settle(pilot)
        policies = load_session(shop).policies
        assert len(policies) == before + 1
        assert (policies[-1].when, policies[-1].context, policies[-1].then) == (
            event.name,
            "notifications",
            "Send Hello",
        )


async def test_reorder_and_move_between_lanes(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "First Happened", "Second Happened")
        await capture(pilot, "Third Happened @ops")
        board = app.screen.query_one(Board)
        board.select_event(0)
        await pilot.press("shift+down")
        await settle(pilot)
        assert [event.name for event in load_session(empty).events][:2] == ["Second Happened", "First Happened"]
        assert board.selected_event == 1
        await pilot.press("shift+right")
        await settle(pilot)
        assert load_session(empty).events[1].context == "ops"


async def test_delete_undo_redo_of_every_kind_of_edit(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Kept Happened", "Doomed Happened @ops -> billing: Bill")
        board = app.screen.query_one(Board)
        board.select_event(1)
        await pilot.press("delete")
        await settle(pilot)
        assert [event.name for event in load_session(empty).events] == ["Kept Happened"]
        assert load_session(empty).policies == ()
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert len(load_session(empty).policies) == 1
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert load_session(empty).policies == ()
        for _ in range(3):  # delete, then the capture of the second, then of the first: all undone
            await pilot.press("ctrl+z")
        await settle(pilot)
        assert load_session(empty).events == ()


async def test_hotspot_shows_in_problems(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(Board).select_event(2)
        await pilot.press("h")
        app.screen.query_one("#field-text").value = "Who owns the cart?"
        await submit(pilot)
        await settle(pilot)
        saved = load_session(shop)
        assert saved.hotspots[-1].text == "Who owns the cart?"
        assert saved.hotspots[-1].about == saved.events[2].name
        assert any("Who owns the cart?" in problem.message for problem in screen_of(app).architecture.problems)


async def test_delete_context_keeps_its_events(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        board = app.screen.query_one(Board)
        board.select_lane("inventory")
        count = sum(event.context == "inventory" for event in load_session(shop).events)
        await pilot.press("D")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-delete")
        await settle(pilot)
        saved = load_session(shop)
        assert "inventory" not in [context.id for context in saved.contexts]
        assert sum(event.context is None for event in saved.events) == count


async def test_panels_follow_the_edits(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Order Placed @orders -> payments: Take Payment")
        screen = screen_of(app)
        assert [flow.consumer for flow in screen.architecture.flows] == ["payments"]
        assert "orders → payments" in str(screen.query_one("#flows").render())
        assert "Wave 2" in str(screen.query_one("#waves").render())


async def test_a_derivation_asked_for_after_a_frame_that_never_came_is_asked_for_again(empty) -> None:
    # An edit asks for its derivation after its frame; a dialog opened and closed within that
    # frame can take the request with it. The once-a-second tick notices and asks again.
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        changed = edits.add_event(screen.session, Event(name="Order Placed"))
        screen.history.apply(changed, "add Order Placed")  # the edit, with its request lost
        screen.tick()
        await settle(pilot)
        assert screen.architecture == derive(changed)


async def test_problem_jumps_to_its_card(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Alpha Happened @a", "Lonely Happened")
        board = app.screen.query_one(Board)
        board.select_event(0)
        panel = screen_of(app).query_one("#panel")
        message = next(
            problem for problem in screen_of(app).architecture.problems if problem.rule == "unassigned-event"
        )
        panel.post_message(panel.ProblemChosen(message))
        await pilot.pause()
        assert board.selected_event == 1


async def test_autosave_and_quit_never_lose_an_edit(empty, monkeypatch) -> None:
    monkeypatch.setattr(workshop, "AUTOSAVE_SECONDS", 3600)  # only quitting can save it
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await type_text(pilot, "Late Event Happened")
        await pilot.press("enter")
        await pilot.pause()
        assert load_session(empty).events == ()
        assert screen_of(app).dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert [event.name for event in load_session(empty).events] == ["Late Event Happened"]


async def test_a_change_on_disk_is_never_overwritten(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        theirs = shop.read_text().replace("name: Online Shop", "name: Their Shop")
        shop.write_text(theirs)
        screen_of(app).watch_file()
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-keep")
        await settle(pilot)
        beside = list(shop.parent.glob("shop.theirs-*.yaml"))
        assert len(beside) == 1
        assert beside[0].read_text() == theirs
        assert load_session(shop).name == "Online Shop"


async def test_a_change_on_disk_can_be_loaded(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        shop.write_text(shop.read_text().replace("name: Online Shop", "name: Their Shop"))
        screen_of(app).watch_file()
        await pilot.pause()
        await pilot.click("#choice-reload")
        await settle(pilot)
        assert screen_of(app).session.name == "Their Shop"
        assert load_session(shop).name == "Their Shop"


async def test_a_second_instance_opens_read_only(shop) -> None:
    # Another live portstorm holds the lock: a process that waits for its stdin to close.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "portstorm-holder"], stdin=subprocess.PIPE
    )
    other = SessionStore(shop)
    other.lock_path.write_text(f'{{"pid": {holder.pid}, "host": "{socket.gethostname()}", "since": "now"}}')
    before = shop.read_bytes()
    try:
        app = app_for(shop)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ChoiceDialog)
            await pilot.click("#choice-read-only")
            await pilot.pause()
            await capture(pilot, "Sneaky Edit Happened")
            assert screen_of(app).read_only
            await pilot.press("ctrl+q")
    finally:
        holder.communicate(timeout=30)
    assert shop.read_bytes() == before
    assert other.lock_path.exists()  # the other instance's lock is left alone


async def test_a_lock_left_by_a_dead_portstorm_is_ignored(shop) -> None:
    other = SessionStore(shop)
    other.lock_path.write_text(f'{{"pid": {os.getpid() + 999_999}, "host": "{socket.gethostname()}", "since": "x"}}')
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WorkshopScreen)
        assert not screen_of(app).read_only


async def test_export_dialog_writes_the_files(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, FormDialog)
        for name in ("serverless", "asyncapi", "mermaid", "dot", "plantuml", "html", "markdown"):
            app.screen.query_one(f"#field-{name}").value = False
        await submit(pilot)
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        folder = shop.with_name("shop-export")
        assert (folder / "ports" / "orders.yaml").exists()
        assert (folder / "cloudformation" / "platform.yaml").exists()
        assert not (folder / "report.html").exists()


async def test_phase_guide_says_what_is_missing(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "One Happened", "Two Happened")
        for _ in range(3):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        bar = str(app.screen.query_one("#phasebar").render())
        assert "4 Contexts" in bar
        assert "2 events unsorted" in bar


async def test_a_new_file_starts_a_session(tmp_path) -> None:
    path = tmp_path / "back-office.yaml"
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        assert app.screen.query_one("#field-name").value == "Back Office"
        assert app.screen.query_one("#field-app").value == "back-office"
        await submit(pilot)
        await pilot.pause()
        await capture(pilot, "Employee Hired @hr")
    saved = load_session(path)
    assert (saved.name, saved.app, saved.events[0].context) == ("Back Office", "back-office", "hr")


async def test_help_lists_every_binding(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, TextDialog)
        text = str(app.screen.body)
        for binding in WorkshopScreen.BINDINGS:
            assert (binding.tooltip or binding.description) in text


async def test_map_view_shows_the_whole_map_and_one_context(shop) -> None:
    from tui.mapscreen import MapScreen
    from tui.mapview import MapView

    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(Board).select_lane("orders")
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MapScreen)
        whole = app.screen.query_one(MapView).line_count
        await pilot.press("f")
        await settle(pilot)
        assert 0 < app.screen.query_one(MapView).line_count < whole
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WorkshopScreen)


async def test_the_command_palette_runs_workshop_actions(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await type_text(pilot, "create a bounded context")
        from textual.command import CommandList

        commands = app.screen.query_one(CommandList)
        for _ in range(200):  # the palette searches in the background: wait for its answer
            if commands.option_count:
                break
            await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormDialog)
        assert app.screen.title_text == "New bounded context"


async def _assign_to_payments(pilot) -> None:
    await pilot.press("a")
    await type_text(pilot, "payments")
    await pilot.press("enter")


async def _policy(pilot) -> None:
    await pilot.press("p")
    pilot.app.screen.query_one("#field-then").value = "Audit It"
    await submit(pilot)


async def _hotspot(pilot) -> None:
    await pilot.press("h")
    pilot.app.screen.query_one("#field-text").value = "Really?"
    await submit(pilot)


async def _edit_name(pilot) -> None:
    await pilot.press("enter")
    pilot.app.screen.query_one("#field-name").value = "Renamed Happened"
    await submit(pilot)


async def _delete_context(pilot) -> None:
    await pilot.press("D")
    await pilot.click("#choice-delete")


async def _resource(pilot) -> None:
    await pilot.press("i")
    pilot.app.screen.query_one("#field-id").value = "audit-log"
    await submit(pilot)


EDITS = {
    "assign": _assign_to_payments,
    "move-later": lambda pilot: pilot.press("shift+down"),
    "move-lane": lambda pilot: pilot.press("shift+right"),
    "policy": _policy,
    "hotspot": _hotspot,
    "edit": _edit_name,
    "delete": lambda pilot: pilot.press("delete"),
    "delete-context": _delete_context,
    "resource": _resource,
}


@pytest.mark.parametrize("kind", sorted(EDITS))
async def test_every_kind_of_edit_is_undone_and_redone(shop, kind) -> None:
    original = shop.read_bytes()
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(Board).select_lane("orders")
        await EDITS[kind](pilot)
        await settle(pilot)
        changed = load_session(shop)
        assert changed != load_session(SAMPLES / "ecommerce.yaml"), "the edit did nothing"
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert shop.read_bytes() == original
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert load_session(shop) == changed


async def test_edits_a_crash_left_in_the_journal_are_recovered_and_said(shop) -> None:
    crashed = SessionStore(shop)
    session = crashed.load()
    crashed.record(edits.add_event(session, Event(name="Unsaved Happened")))  # journaled, never saved
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = str(screen_of(app).query_one("#status").render())
        assert "Recovered" in status
        assert "1 event more" in status
        assert load_session(shop).events[-1].name == "Unsaved Happened"
        reopened = SessionStore(shop)
        reopened.load()
        assert reopened.recover() is None  # saved: nothing is left in the journal to recover
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert load_session(shop) == session
    assert not crashed.journal.path.exists()  # closed with everything saved


async def test_a_full_disk_keeps_every_edit_and_saving_elsewhere_works(shop, tmp_path, monkeypatch) -> None:
    import errno

    from tui import store as store_module

    monkeypatch.setattr(workshop, "RETRY_SECONDS", 0.05)
    real_save, real_record = store_module.save_bytes, store_module.Journal.record
    disk_full = OSError(errno.ENOSPC, "No space left on device")

    def full(*args, **kwargs):
        raise disk_full

    monkeypatch.setattr(store_module, "save_bytes", full)
    monkeypatch.setattr(store_module.Journal, "record", full)
    before = shop.read_bytes()
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Disk Filled Up")
        screen = screen_of(app)
        assert screen.dirty
        assert "No space left" in str(screen.query_one("#status").render())
        assert "NOT SAVED" in str(screen.query_one("#phasebar").render())
        assert shop.read_bytes() == before  # never a truncated file
        await pilot.press("S")
        app.screen.query_one("#field-path").value = str(tmp_path / "rescued.yaml")
        await submit(pilot)
        assert "Cannot write there" in str(app.screen.query_one("#error-path").render())
        monkeypatch.setattr(store_module, "save_bytes", real_save)  # space freed
        monkeypatch.setattr(store_module.Journal, "record", real_record)
        await submit(pilot)
        await settle(pilot)
        assert "Disk Filled Up" in [event.name for event in load_session(tmp_path / "rescued.yaml").events]
        assert screen.store.path == tmp_path / "rescued.yaml"


async def test_a_failed_autosave_is_retried(shop, monkeypatch) -> None:
    from tui import store as store_module

    monkeypatch.setattr(workshop, "RETRY_SECONDS", 0.05)
    real_save = store_module.save_bytes
    failures = []

    def flaky(data, target):
        if not failures:
            failures.append(target)
            raise OSError(30, "Read-only file system")
        return real_save(data, target)

    monkeypatch.setattr(store_module, "save_bytes", flaky)
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await capture(pilot, "Retried Happened")
        for _ in range(100):  # the retry timer fires on its own schedule
            if not screen_of(app).dirty:
                break
            await pilot.pause(0.05)
        assert failures
        assert "Retried Happened" in [event.name for event in load_session(shop).events]


async def test_a_pasted_list_becomes_one_event_per_line(empty) -> None:
    from textual import events

    from tui.workshop import CaptureInput

    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        capture_input = app.screen.query_one(CaptureInput)
        capture_input.post_message(events.Paste("Cart Created @carts\n\nOrder Placed @orders -> carts: Empty Cart\n"))
        await settle(pilot)
        capture_input.post_message(events.Paste("Single Line Pasted"))
        await pilot.pause()
        assert capture_input.value == "Single Line Pasted"
        saved = load_session(empty)
        assert [event.name for event in saved.events] == ["Cart Created", "Order Placed"]
        assert [(policy.when, policy.context) for policy in saved.policies] == [("Order Placed", "carts")]


async def test_a_burst_of_keys_is_told_in_the_order_typed(empty) -> None:
    # A terminal hands over a fast typist's keys in one read: the line they end must reach
    # the screen after what the keys before it changed, or a stale hint hides "added".
    from textual import events

    from tui.workshop import CaptureInput

    app = app_for(empty)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        capture_input = app.screen.query_one(CaptureInput)
        for char in "Burst Typed @ops":
            capture_input.post_message(events.Key(char, char))
        capture_input.post_message(events.Key("enter", "\r"))
        await settle(pilot)
        assert [event.name for event in screen_of(app).session.events] == ["Burst Typed"]
        assert "added 'Burst Typed'" in str(screen_of(app).query_one("#status").render())


async def test_the_filter_shows_only_matching_cards_and_keeps_the_cursor_on_them(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        board = screen_of(app).query_one(Board)
        everything = sum(len(lane.events) for lane in board.lanes)
        await pilot.press("slash")
        await type_text(pilot, "payment")
        await pilot.pause()
        session = screen_of(app).session
        shown = [session.events[index] for lane in board.lanes for index in lane.events]
        assert shown
        assert len(shown) < everything
        assert all("payment" in search_text(event) for event in shown)
        assert all(lane.events for lane in board.lanes)  # lanes without a match step aside
        assert board.selected_event is not None
        assert "payment" in search_text(session.events[board.selected_event])
        assert f"{len(shown)} of {everything} cards" in str(board.border_title)
        await pilot.press("enter")  # keeps the filter and goes back to the board
        assert app.focused is board
        assert board.filter == "payment"
        await capture(pilot, "Payment Refunded")  # a new card that matches shows at once
        session = screen_of(app).session
        assert "Payment Refunded" in [session.events[index].name for lane in board.lanes for index in lane.events]
        assert f"{len(shown) + 1} of {everything + 1} cards" in str(board.border_title)  # and is counted
        await pilot.press("slash", "ctrl+u")  # deleting the "/" deletes the filter: every card again
        await pilot.pause()
        assert board.filter == ""
        assert sum(len(lane.events) for lane in board.lanes) == everything + 1
        await pilot.press("slash", "p", "enter", "slash", "ctrl+u", "slash", "enter")  # "/" alone clears it too
        assert board.filter == ""
        assert not board.border_title
        assert not [event for event in load_session(shop).events if event.name.startswith("/")]  # never an event


async def test_a_filter_typed_erased_and_edited_under_shows_what_a_fresh_search_would(shop) -> None:
    # Each longer filter looks only among the last matches: it must never keep a stale card
    # nor miss one when the filter shortens, changes or the session changes under it.
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        board = screen_of(app).query_one(Board)

        def shown() -> list[int]:
            return sorted(index for lane in board.lanes for index in lane.events)

        def fresh(words: str) -> list[int]:
            events = screen_of(app).session.events
            return [index for index, event in enumerate(events) if words in search_text(event)]

        await pilot.press("slash")
        steps = [("o", "o"), ("r", "or"), ("d", "ord"), ("backspace", "or"), ("e", "ore"), ("backspace", "or")]
        steps += [("backspace", "o"), ("p", "op")]
        for keys, words in steps:
            await pilot.press(keys)
            await pilot.pause()
            assert shown() == fresh(words), words
        await pilot.press("enter")
        await capture(pilot, "Order Shipped", "Stock Topped Up")  # the session changes under the filter
        assert shown() == fresh("op")
        await pilot.press("slash", "ctrl+u", "slash", "o")
        await pilot.pause()
        assert shown() == fresh("o")
        await pilot.press("p")
        await pilot.pause()
        assert shown() == fresh("op")
        assert "Stock Topped Up" in [screen_of(app).session.events[index].name for index in shown()]


async def test_the_view_follows_a_card_captured_into_a_new_lane_off_screen(empty) -> None:
    app = app_for(empty)
    async with app.run_test(size=(80, 24)) as pilot:
        await capture(pilot, "Cart Created @carts", "Checkout Started @checkout", "Order Placed @checkout",
                      "Payment Taken @payments")  # fmt: skip
        board = screen_of(app).query_one(Board)
        assert board.lane == len(board.lanes) - 1
        assert board.scroll_x == board.max_scroll_x > 0
        assert board.scroll_x % LANE_WIDTH == 0  # no lane shown cut on the left
        first_shown = int(board.scroll_x) // LANE_WIDTH + 1
        assert str(board.border_subtitle).startswith(f"lanes {first_shown}–{len(board.lanes)} of {len(board.lanes)}")


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (131, 40)])
async def test_the_view_stops_at_a_lanes_edge_all_the_way_to_the_last_lane(shop, size) -> None:
    app = app_for(shop)
    async with app.run_test(size=size) as pilot:
        board = screen_of(app).query_one(Board)
        board.select_lane(None)
        for _ in board.lanes:
            await pilot.press("right")
            assert board.scroll_x % LANE_WIDTH == 0
        assert board.lane == len(board.lanes) - 1
        assert board.scroll_x > 0
        drawn = board.scroll_x + board.size.width
        assert drawn - LANE_WIDTH < len(board.lanes) * LANE_WIDTH <= drawn  # the last lane in full


async def test_a_big_board_opens_on_its_first_card_and_says_what_is_in_view(tmp_path) -> None:
    from benchmarks.generate import synthetic_session

    path = tmp_path / "big.yaml"
    save_session(synthetic_session(2_000, 60), path)
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = screen_of(app).query_one(Board)
        assert board.selected_event == 0
        assert board.lane > 5
        first_shown = int(board.scroll_x) // LANE_WIDTH
        assert first_shown <= board.lane < first_shown + board.size.width // LANE_WIDTH
        assert f"lanes {first_shown + 1}–" in str(board.border_subtitle)
        assert f"of {len(board.lanes)} · rows 1–" in str(board.border_subtitle)
        await pilot.press("end")  # the last card of a long lane: the view follows, the border says so
        last_row = len(board.lanes[board.lane].events)
        rows = max(len(lane.events) for lane in board.lanes)
        assert board.row == last_row - 1
        assert board.scroll_y > 0
        assert str(board.border_subtitle).endswith(f"–{last_row} of {rows}")
        # The hidden scrollbars stay still: moving them would have Textual map every widget of
        # the screen again on each scroll (they are not on it), for nothing anyone sees.
        assert board.vertical_scrollbar.position == board.horizontal_scrollbar.position == 0


async def test_cards_drawn_after_edits_look_as_if_drawn_afresh(shop) -> None:
    # The board keeps drawn cards across edits; an insertion renumbers every card after it.
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        board = screen_of(app).query_one(Board)

        def drawn() -> list[list[object]]:
            return [list(board.render_line(y)) for y in range(board.size.height)]

        def drawn_afresh() -> list[list[object]]:
            board._cards.clear()
            return drawn()

        await pilot.press("down", "space", "down")  # a marked card and the cursor on the next
        await pilot.pause()
        before = [list(line) for line in drawn()]
        await capture(pilot, "Cart Viewed @customers")  # after the cursor: every later card gets a new number
        assert screen_of(app).session.events[board.selected_event or 0].name == "Cart Viewed"
        assert drawn() != before
        assert drawn() == drawn_afresh()
        await pilot.press("up", "up", "down", "shift+down")  # the cursor leaves cards drawn with it
        await pilot.pause()
        assert drawn() == drawn_afresh()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert drawn() == drawn_afresh()


async def test_no_garbage_collection_runs_between_a_key_and_its_frame(shop, monkeypatch) -> None:
    app = app_for(shop)
    collector_on: list[tuple[str, bool]] = []  # ("action" or "frame", whether it was on), in order
    move, draw = Board.action_cursor, Board.render_lines

    def watched_move(board: Board, dx: int, dy: int) -> None:
        collector_on.append(("action", gc.isenabled()))
        move(board, dx, dy)

    def watched_draw(board: Board, crop: Region) -> list:
        collector_on.append(("frame", gc.isenabled()))
        return draw(board, crop)

    monkeypatch.setattr(Board, "action_cursor", watched_move)
    monkeypatch.setattr(Board, "render_lines", watched_draw)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.isenabled()
        for key in ("down", "down", "right", "up", "left"):
            collector_on.clear()
            await pilot.press(key)
            await pilot.pause()
            after_action = collector_on[[step for step, _ in collector_on].index("action") :]
            assert after_action[:2] == [("action", False), ("frame", False)], key
            assert gc.isenabled(), key  # back on once that frame is drawn


async def test_a_key_a_field_takes_pauses_the_collector_until_the_next_tick(shop, monkeypatch) -> None:
    app = app_for(shop)
    collector_on_in_frames: list[bool] = []
    draw, tick = Board.render_lines, PortstormApp._each_second
    monkeypatch.setattr(PortstormApp, "_each_second", lambda app: None)  # this test ticks by hand

    def watched_draw(board: Board, crop: Region) -> list:
        collector_on_in_frames.append(gc.isenabled())
        return draw(board, crop)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await type_text(pilot, "Cart Viewed")
        await pilot.pause()
        monkeypatch.setattr(Board, "render_lines", watched_draw)
        await pilot.press("enter")  # the capture bar takes it: it never comes back to the app
        await pilot.pause()
        assert collector_on_in_frames[:1] == [False]  # the board's frame with the new card
        assert not gc.isenabled()
        tick(app)
        assert gc.isenabled()


async def test_an_edit_asks_for_one_repaint_of_the_board(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await type_text(pilot, "Cart Viewed")
        await settle(pilot)
        screen, asked = screen_of(app), []
        board, post = screen.query_one(Board), screen.post_message

        def watched_post(message):
            if isinstance(message, messages.Update) and message.widget is board:
                asked.append(message)
            return post(message)

        screen.post_message = watched_post  # type: ignore[method-assign]
        await pilot.press("enter")
        await settle(pilot)  # the derivation's frame too
        assert len(asked) == 1  # a second would send the whole board to the terminal again


async def test_the_footer_keeps_its_keys_until_they_change(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = screen_of(app).query_one(Footer)
        board_keys = list(footer.query(FooterKey))
        assert "Capture" in {key.description for key in board_keys}
        screen_of(app).refresh_bindings()  # as mounting the panel's tabs does, again and again
        await pilot.pause()
        assert list(footer.query(FooterKey)) == board_keys  # the very same widgets: nothing was rebuilt
        await pilot.press("e")  # into the capture line, whose keys are others
        await pilot.pause()
        assert "Capture" not in {key.description for key in footer.query(FooterKey)}
        await pilot.press("escape")
        await pilot.pause()
        assert [key.description for key in footer.query(FooterKey)] == [key.description for key in board_keys]


def _board_colours(app: PortstormApp) -> set:
    board = screen_of(app).query_one(Board)
    lines = board.render_lines(Region(0, 0, board.outer_size.width, board.outer_size.height))
    return {
        colour
        for line in lines
        for segment in line
        if segment.style is not None
        for colour in (segment.style.color, segment.style.bgcolor)
        if colour is not None
    }


async def test_the_board_is_all_truecolor_so_it_skips_turning_ansi_colours_into_truecolor(shop) -> None:
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not any(
            isinstance(found, ANSIToTruecolor) for found in screen_of(app).query_one(Board).get_line_filters()
        )
        colours = _board_colours(app)
        assert len(colours) > 5
        assert all(colour.triplet is not None for colour in colours)  # nothing is left for the terminal's palette


async def test_the_board_still_honours_no_color(shop, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        colours = _board_colours(app)
        assert colours
        assert all(len(set(colour.triplet)) == 1 for colour in colours)  # greys only
