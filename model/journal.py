"""The journal: every edit, flushed to disk before the screen shows it as done.

A small append-only file beside the session (`.<name>.journal`) receives, after each
edit, what changed in the session's canonical text: how many bytes of the previous text
stay at its head and at its tail, and the bytes between them (the first entry is the
whole text). Each entry is framed with its length and a checksum and flushed with fsync,
so an edit costs a few hundred bytes on disk however big the session. After a crash (a
`kill -9`, a power cut), the next open replays the complete entries and recovers the last
text, unless the file holds it already; an entry cut short by the crash fails its checksum
and is ignored, so a half-written entry never counts.

A save that catches up with the journal leaves it in place, so that the next edit's entry
is still only what that edit changed: emptied, the journal would need the whole text again
(a megabyte and a few ms at 10,000 events, after every autosave). A caught-up journal is
emptied once it has grown to twice the text, and when the app closes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

_MAGIC = b"PSJ2"
_SHORT = 64  # a span in doubt this short is compared byte by byte


def journal_path(session_path: Path) -> Path:
    return session_path.with_name(f".{session_path.name}.journal")


class Journal:
    """Appends entries and finds the last complete one; safe to use from two threads."""

    def __init__(self, session_path: Path) -> None:
        self.path = journal_path(session_path)
        self._lock = threading.Lock()
        self._last: bytes | None = None
        self._written = 0  # bytes appended since the journal was last emptied
        self._caught_up = False  # the session file holds `_last`

    def record(self, data: bytes) -> None:
        """Append one entry and flush it to the disk (raises OSError when it cannot)."""
        with self._lock:
            previous = self._last or b""
            head = _same_head(previous, data)
            tail = _same_tail(previous, data, head)
            middle = data[head : len(data) - tail]
            digest = hashlib.sha256(middle).hexdigest().encode()
            entry = b"%s %d %d %d %s\n%s\n" % (_MAGIC, head, tail, len(middle), digest, middle)
            with open(self.path, "ab") as stream:
                stream.write(entry)
                stream.flush()
                os.fsync(stream.fileno())
            self._last, self._caught_up = data, False
            self._written += len(entry)

    def saved(self, data: bytes) -> None:
        """The session file now holds `data`: nothing is left to recover, unless a newer edit came since."""
        with self._lock:
            if self._last is not None and self._last != data:
                return  # a newer edit is in the journal and not in the file
            if self._last is None or self._written > 2 * len(data):
                self._empty()  # a journal of an earlier run, or a long one: the next entry starts afresh
            else:
                self._caught_up = True

    def close(self) -> None:
        """The app is closing: a journal the file has caught up with holds nothing worth keeping."""
        with self._lock:
            if self._caught_up:
                self._empty()

    def latest(self) -> bytes | None:
        """The last complete entry, or None when there is none."""
        try:
            content = self.path.read_bytes()
        except OSError:
            return None
        return last_entry(content)

    def _empty(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._last, self._written, self._caught_up = None, 0, False


def last_entry(content: bytes) -> bytes | None:
    """The text that the complete entries of journal bytes add up to (None: no complete entry)."""
    found = None
    position = 0
    while position < len(content):
        end = content.find(b"\n", position)
        if end < 0:
            break
        parts = content[position:end].split(b" ")
        if len(parts) != 5 or parts[0] != _MAGIC or not all(part.isdigit() for part in parts[1:4]):
            break
        head, tail, size = (int(part) for part in parts[1:4])
        middle = content[end + 1 : end + 1 + size]
        if len(middle) != size or hashlib.sha256(middle).hexdigest().encode() != parts[4]:
            break  # cut short by a crash: this entry and anything after it never counted
        previous = found or b""
        if head + tail > len(previous):
            break
        found = previous[:head] + middle + previous[len(previous) - tail :]
        position = end + 1 + size + 1
    return found


def _same_head(old: bytes, new: bytes) -> int:
    """How many leading bytes `old` and `new` share.

    The span in doubt is halved until it is short, each half compared by `startswith` on a
    view of `old`: one `memcmp`, without copying a megabyte of session text per edit.
    """
    view = memoryview(old)
    same, differ = 0, min(len(old), len(new))  # old[:same] == new[:same]; beyond `differ` nothing counts
    while differ - same > _SHORT:
        middle = (same + differ) // 2
        if new.startswith(view[same:middle], same):
            same = middle
        else:
            differ = middle
    while same < differ and old[same] == new[same]:
        same += 1
    return same


def _same_tail(old: bytes, new: bytes, head: int) -> int:
    """How many trailing bytes `old` and `new` share after their first `head` bytes."""
    view = memoryview(old)
    old_end, new_end = len(old), len(new)
    same, differ = 0, min(old_end, new_end) - head
    while differ - same > _SHORT:
        middle = (same + differ) // 2
        if new.endswith(view[old_end - middle : old_end - same], 0, new_end - same):
            same = middle
        else:
            differ = middle
    while same < differ and old[old_end - same - 1] == new[new_end - same - 1]:
        same += 1
    return same
