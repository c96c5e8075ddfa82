"""A program in a pseudo-terminal, timed from outside: process start, keys, frames, peak memory.

Everything is measured the way a person sees it: from the moment the process is started
(or a key is written to the terminal) until the bytes of the frame that shows the
expected text have arrived. The same code times the bare Textual app and portstorm.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from pathlib import Path

KEYS = {
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "pagedown": b"\x1b[6~",
    "pageup": b"\x1b[5~",
    "enter": b"\r",
    "escape": b"\x1b",
}


class FrameTimeout(RuntimeError):
    """The expected text never reached the terminal."""


class Terminal:
    """One program running in a pseudo-terminal of a fixed size."""

    def __init__(self, command: Sequence[str], *, columns: int = 160, lines: int = 48, timeout: float = 60) -> None:
        self.timeout = timeout
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        # COLUMNS and LINES would override the terminal's size in Textual (pytest sets them).
        environment = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        environment.update(COLUMNS=str(columns), LINES=str(lines))
        environment.pop("TEXTUAL", None)  # no devtools, no debug output
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=environment, start_new_session=True
        )
        os.close(slave)
        self.output = bytearray()

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exception: object) -> None:
        if self.process.returncode is None:
            self.close()

    def wait_for(self, text: str | re.Pattern[bytes]) -> float:
        """Read the terminal until `text` arrives; the time it arrived (monotonic seconds)."""
        wanted = text if isinstance(text, re.Pattern) else re.compile(re.escape(text.encode()))
        deadline = time.monotonic() + self.timeout
        while not wanted.search(self.output):
            if not self._read(deadline - time.monotonic()):
                tail = self.output[-400:].decode(errors="replace")
                raise FrameTimeout(f"{wanted.pattern!r} never appeared; the terminal last showed {tail!r}")
        return time.monotonic()

    def press(self, key: str) -> float:
        """Write a key (a name from KEYS, or plain text); the time it was written."""
        self.output.clear()
        os.write(self.master, KEYS.get(key, key.encode()))
        return time.monotonic()

    def settle(self, quiet: float = 0.05) -> None:
        """Read until the program has drawn nothing for `quiet` seconds, so no late frame is taken for the next."""
        deadline = time.monotonic() + self.timeout
        while self._read(min(quiet, deadline - time.monotonic())):
            pass
        self.output.clear()

    def close(self) -> int:
        """Stop the program; its peak resident memory in bytes."""
        # The high-water mark of the program itself: the child's rusage would also count
        # the benchmark's own pages, which the child shares between fork and exec.
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self.master)
        return peak

    def _read(self, timeout: float) -> bool:
        if timeout <= 0:
            return False
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:  # the program has gone
            return False
        self.output += chunk
        return bool(chunk)
