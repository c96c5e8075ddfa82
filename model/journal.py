"""The journal: every edit, flushed to disk before the screen shows it as done.

A small append-only file beside the session (`.<name>.journal`) receives the session's
canonical text after each edit, framed with its length and a checksum and flushed with
fsync. A save that catches up with the journal empties it. After a crash (a `kill -9`,
a power cut), the next open finds the last complete entry and recovers from it; an entry
cut short by the crash fails its checksum and is ignored, so a half-written entry never
counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

_MAGIC = b"PSJ1"


def journal_path(session_path: Path) -> Path:
    return session_path.with_name(f".{session_path.name}.journal")


class Journal:
    """Appends entries and finds the last complete one; safe to use from two threads."""

    def __init__(self, session_path: Path) -> None:
        self.path = journal_path(session_path)
        self._lock = threading.Lock()
        self._last: bytes | None = None

    def record(self, data: bytes) -> None:
        """Append one entry and flush it to the disk (raises OSError when it cannot)."""
        header = b"%s %d %s\n" % (_MAGIC, len(data), hashlib.sha256(data).hexdigest().encode())
        with self._lock:
            with open(self.path, "ab") as stream:
                stream.write(header + data + b"\n")
                stream.flush()
                os.fsync(stream.fileno())
            self._last = data

    def saved(self, data: bytes) -> None:
        """The session file now holds `data`: empty the journal unless a newer edit came since."""
        with self._lock:
            if self._last is None or self._last == data:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
                self._last = None

    def latest(self) -> bytes | None:
        """The last complete entry, or None when there is none."""
        try:
            content = self.path.read_bytes()
        except OSError:
            return None
        return last_entry(content)

    def discard(self) -> None:
        with self._lock:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            self._last = None


def last_entry(content: bytes) -> bytes | None:
    """The last entry of journal bytes whose length and checksum are whole."""
    found = None
    position = 0
    while position < len(content):
        end = content.find(b"\n", position)
        if end < 0:
            break
        parts = content[position:end].split(b" ")
        if len(parts) != 3 or parts[0] != _MAGIC or not parts[1].isdigit():
            break
        size = int(parts[1])
        data = content[end + 1 : end + 1 + size]
        if len(data) != size or hashlib.sha256(data).hexdigest().encode() != parts[2]:
            break  # cut short by a crash: this entry and anything after it never counted
        found = data
        position = end + 1 + size + 1
    return found
