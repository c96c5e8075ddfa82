"""portstorm in a real terminal: tmux runs it, keys are typed, the file holds the workshop."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from model.sessionfile import load_session
from tests.validators import executable
from tui.store import SessionStore

PORTSTORM = Path(sys.executable).with_name("portstorm")
WAIT_SECONDS = 30


class Terminal:
    """One tmux session on its own server socket, so nothing else is touched."""

    def __init__(self, tmux: str, socket: str) -> None:
        self.tmux, self.socket = tmux, socket

    def run(self, *args: str) -> str:
        command = [self.tmux, "-L", self.socket, *args]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "storm", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "storm", "-l", text)

    def start(self, command: str) -> None:
        """Run `command` in a new 120x40 window named storm."""
        self.run("new-session", "-d", "-s", "storm", "-x", "120", "-y", "40", command)

    def start_capturing(self) -> None:
        """Press e and wait until the capture input has the keys (typing earlier could reach the board)."""
        self.keys("e")
        self.wait_for(lambda screen: "Capturing" in screen, "the capture input")

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "storm")

    def wait_for(self, condition: Callable[[str], bool], what: str) -> str:
        """Poll the screen until `condition` holds (the app answers on its own schedule)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            time.sleep(0.1)
        pytest.fail(f"waited {WAIT_SECONDS}s for {what}; the screen shows:\n{self.screen()}")


@pytest.fixture
def terminal(tmp_path) -> Iterator[Terminal]:
    tmux = executable("tmux")
    session = Terminal(tmux, f"portstorm-test-{uuid.uuid4().hex[:8]}")
    yield session
    subprocess.run([tmux, "-L", session.socket, "kill-server"], capture_output=True, check=False)


def test_a_new_session_typed_in_a_real_terminal_is_saved(terminal, tmp_path) -> None:
    path = tmp_path / "checkout.yaml"
    # The shell prints how portstorm ended and keeps the pane open to show it.
    command = f"{PORTSTORM} {path}; echo portstorm-exited-$?; read wait"
    terminal.start(command)
    terminal.wait_for(lambda screen: "New session" in screen, "the new-session form")
    terminal.keys("Enter")
    terminal.wait_for(lambda screen: "Collect" in screen, "the board")
    terminal.start_capturing()
    for line in (
        "Cart Created @carts",
        "Checkout Started @checkout",
        "Order Placed @checkout -> payments: Take Payment",
        "Payment Taken @payments -> checkout: Confirm Order",
    ):
        terminal.type(line)
        terminal.keys("Enter")
    terminal.wait_for(lambda screen: "Payment Taken" in screen, "the last card")
    terminal.keys("Escape")
    terminal.keys("C-q")
    terminal.wait_for(lambda screen: "portstorm-exited-0" in screen, "the app to quit cleanly")
    saved = load_session(path)
    assert [event.name for event in saved.events] == [
        "Cart Created",
        "Checkout Started",
        "Order Placed",
        "Payment Taken",
    ]
    assert [event.context for event in saved.events] == ["carts", "checkout", "checkout", "payments"]
    assert [(policy.when, policy.context, policy.then) for policy in saved.policies] == [
        ("Order Placed", "payments", "Take Payment"),
        ("Payment Taken", "checkout", "Confirm Order"),
    ]


def test_closing_the_terminal_window_keeps_the_last_edit(terminal, tmp_path) -> None:
    path = tmp_path / "storm.yaml"
    path.write_text("portstorm: 1\nname: Storm\napp: storm\n")
    # Autosave far away: only the hang-up itself can save the edit.
    command = f"PORTSTORM_AUTOSAVE_SECONDS=3600 {PORTSTORM} {path}"
    terminal.start(command)
    terminal.wait_for(lambda screen: "Collect" in screen, "the board")
    terminal.start_capturing()
    terminal.type("Window Closed Early @ops")
    terminal.keys("Enter")
    terminal.wait_for(lambda screen: "added 'Window Closed Early'" in screen, "the edit on screen")
    assert load_session(path).events == ()
    terminal.run("kill-server")  # the window closes: portstorm gets SIGHUP
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and not load_session(path).events:
        time.sleep(0.1)  # polling the file until the dying process has written it
    assert [(event.name, event.context) for event in load_session(path).events] == [("Window Closed Early", "ops")]


def test_a_terminal_gone_without_a_hang_up_signal_saves_the_edit_and_ends_portstorm(terminal, tmp_path) -> None:
    # Run by make (`make demo`), portstorm gets no hang-up signal when its window closes:
    # its input just ends.
    path = tmp_path / "storm.yaml"
    path.write_text("portstorm: 1\nname: Storm\napp: storm\n")
    makefile = tmp_path / "Makefile"
    makefile.write_text(f"workshop:\n\tPORTSTORM_AUTOSAVE_SECONDS=3600 {PORTSTORM} {path}\n")
    terminal.start(f"{executable('make')} -f {makefile} workshop")
    terminal.wait_for(lambda screen: "Collect" in screen, "the board")
    (pid,) = _processes_running(path)
    terminal.start_capturing()
    terminal.type("Wrapper Closed @ops")
    terminal.keys("Enter")
    terminal.wait_for(lambda screen: "added 'Wrapper Closed'" in screen, "the edit on screen")
    terminal.run("kill-server")
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
        time.sleep(0.1)  # polling until portstorm notices its terminal is gone
    assert not Path(f"/proc/{pid}").exists() or _state(pid) == "Z", "portstorm outlived its terminal"
    assert [(event.name, event.context) for event in load_session(path).events] == [("Wrapper Closed", "ops")]
    assert not SessionStore(path).lock_path.exists()


def _processes_running(path: Path) -> list[int]:
    """The portstorm processes that have `path` open (by their command line)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            words = proc.joinpath("cmdline").read_bytes().split(b"\0")
            if str(path).encode() in words and any(word.endswith(b"portstorm") for word in words):
                found.append(int(proc.name))
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


KILL_ROUNDS = 200 if os.environ.get("PORTSTORM_LONG_TESTS") else 50


def test_kill_9_at_random_moments_loses_no_edit_the_screen_showed(terminal, tmp_path) -> None:
    """Type a scripted workshop, kill -9 the app at random moments, reopen: nothing shown is lost."""
    path = tmp_path / "storm.yaml"
    path.write_text("portstorm: 1\nname: Storm\napp: storm\n")
    chance = random.Random(20261203)
    shown_total = recovered_total = events_before = 0
    base = terminal.socket
    for round_number in range(KILL_ROUNDS):
        terminal = Terminal(terminal.tmux, f"{base}-{round_number}")  # a fresh server each round
        command = f"exec env PORTSTORM_AUTOSAVE_SECONDS={chance.choice(['0.2', '3600'])} {PORTSTORM} {path}"
        terminal.start(command)
        pid = int(terminal.run("display-message", "-p", "-t", "storm", "#{pane_pid}"))
        terminal.wait_for(lambda screen: _events_shown(screen) is not None, "the board")
        terminal.start_capturing()
        for line in range(chance.randint(1, 4)):
            terminal.type(f"Round {round_number} Line {line} Happened @ctx{line}")
            terminal.keys("Enter")
        if chance.random() < 0.5:  # sometimes wait until the screen shows the last one
            terminal.wait_for(lambda screen, r=round_number, n=line: f"Round {r} Line {n}" in screen, "the last card")
        shown = _events_shown(terminal.screen()) or 0
        os.kill(pid, signal.SIGKILL)
        subprocess.run([terminal.tmux, "-L", terminal.socket, "kill-server"], capture_output=True, check=False)
        store = SessionStore(path)
        saved = store.load()  # the file itself always loads
        session = store.recover() or saved
        assert len(session.events) >= shown, f"round {round_number}: the screen showed {shown} events"
        shown_total += max(0, shown - events_before)
        recovered_total += 1 if store.recover() is not None else 0
        events_before = len(session.events)
    print(f"\n{KILL_ROUNDS} kills -9, {shown_total} edits shown before them, all kept;")
    print(f"{recovered_total} reopenings recovered edits from the journal")


def _events_shown(screen: str) -> int | None:
    """The event count the phase guide showed (it is drawn only after the edit is journaled)."""
    found = re.search(r"after each · (\d+) events?\b", screen)
    return int(found.group(1)) if found else None


def test_a_second_portstorm_on_the_same_file_is_read_only_and_loses_nothing(terminal, tmp_path) -> None:
    path = tmp_path / "storm.yaml"
    path.write_text("portstorm: 1\nname: Storm\napp: storm\n")
    first = Terminal(terminal.tmux, terminal.socket)
    first.start(f"{PORTSTORM} {path}; read wait")
    first.wait_for(lambda screen: "Collect" in screen, "the first board")
    second = Terminal(terminal.tmux, terminal.socket)
    second.run("new-session", "-d", "-s", "second", "-x", "120", "-y", "40", f"{PORTSTORM} {path}; read wait")

    def on_second(*keys: str) -> None:
        second.run("send-keys", "-t", "second", *keys)

    def second_screen() -> str:
        return second.run("capture-pane", "-p", "-t", "second")

    deadline = time.monotonic() + WAIT_SECONDS
    while "Already open" not in second_screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Already open" in second_screen()
    on_second("Enter")  # the first button: open read-only
    first.start_capturing()
    first.type("First Writer Happened")
    first.keys("Enter")
    first.wait_for(lambda screen: "added 'First Writer Happened'" in screen, "the first edit")
    on_second("e")
    on_second("-l", "Second Writer Happened")
    on_second("Enter")
    while "Read-only" not in second_screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Read-only" in second_screen()
    on_second("C-q")
    first.keys("C-q")
    while "First Writer" not in path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [event.name for event in load_session(path).events] == ["First Writer Happened"]
