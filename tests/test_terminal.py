"""portstorm in a real terminal: tmux runs it, keys are typed, the file holds the workshop."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from model.sessionfile import load_session
from tests.validators import executable

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
    terminal.run("new-session", "-d", "-s", "storm", "-x", "120", "-y", "40", command)
    terminal.wait_for(lambda screen: "New session" in screen, "the new-session form")
    terminal.keys("Enter")
    terminal.wait_for(lambda screen: "Collect" in screen, "the board")
    terminal.keys("e")
    terminal.wait_for(lambda screen: "Capturing" in screen, "the capture input")
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
    terminal.run("new-session", "-d", "-s", "storm", "-x", "120", "-y", "40", command)
    terminal.wait_for(lambda screen: "Collect" in screen, "the board")
    terminal.keys("e")
    terminal.wait_for(lambda screen: "Capturing" in screen, "the capture input")
    terminal.type("Window Closed Early @ops")
    terminal.keys("Enter")
    terminal.wait_for(lambda screen: "added 'Window Closed Early'" in screen, "the edit on screen")
    assert load_session(path).events == ()
    terminal.run("kill-server")  # the window closes: portstorm gets SIGHUP
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and not load_session(path).events:
        time.sleep(0.1)  # polling the file until the dying process has written it
    assert [(event.name, event.context) for event in load_session(path).events] == [("Window Closed Early", "ops")]
