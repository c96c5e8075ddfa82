"""The session file as the app sees it: saves, changes made by others, and the lock.

Saving goes through the model's atomic, canonical save. The store remembers the bytes
it last read or wrote, so it can tell its own writes from someone else's (a `git pull`,
another editor) and never overwrites those blindly.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from model import sessionfile
from model.journal import Journal
from model.session import Session
from model.sessionfile import (
    SessionError,
    dump_session,
    parse_session,
    read_session,
    remember_record_texts,
    save_bytes,
    write_atomic,
)

_HELPER_SECONDS = 120
"""How long `prepare`'s helper process may take (a 16 MiB session takes some seconds)."""


@dataclass(frozen=True)
class LockHolder:
    """Who else has the session open."""

    pid: int
    host: str
    since: str


class SessionStore:
    """One session file: load, save, notice outside changes, hold the lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(f".{path.name}.lock")
        self.known: bytes | None = None
        """The file's bytes as this app last read or wrote them."""
        self._seen: tuple[int, int] | None = None
        """Time and size of the file when it last held `known`."""
        self.holds_lock = False
        self.journal = Journal(path)
        self._loaded: Session | None = None
        """The session `load` read last, from the bytes in `known`."""
        self._helper: subprocess.Popen[bytes] | None = None

    def load(self) -> Session:
        session, self.known = read_session(self.path)
        self._loaded = session
        return session

    def save(self, session: Session) -> bool:
        """Write the session if it changed; returns whether the file was written.

        The previous version is kept as `<file>~` by the model's save.
        """
        data = dump_session(session).encode("utf-8")
        if data == self.known and self.path.exists():
            self.journal.saved(data)
            return False
        written = save_bytes(data, self.path)
        self.known = data
        self.journal.saved(data)
        return written

    def prepare(self, session: Session) -> None:
        """Fill the serializer's cache of record texts, so that the first edit's journal entry is quick.

        That is a second's work at 10,000 events, and a thread of this process doing it would
        hold the interpreter in turns with every key pressed meanwhile. So another Python
        process does it, on another core, from the bytes the session was read from; this
        one only waits for it (run it in a thread).
        """
        if session is self._loaded and self.known is not None:
            texts = self._record_texts_elsewhere(self.known)
            if texts is not None and remember_record_texts(session, texts):
                return
        dump_session(session)

    def _record_texts_elsewhere(self, data: bytes) -> dict[str, list[str]] | None:
        """`model.sessionfile.record_texts` of `data`, worked out by another process (None if it failed)."""
        if not sys.executable:
            return None
        here = str(Path(sessionfile.__file__).resolve().parent.parent)  # where `model` is, installed or not
        paths = [here, *filter(None, [os.environ.get("PYTHONPATH")])]
        command = [sys.executable, "-c", "from model.sessionfile import write_record_texts; write_record_texts()"]
        try:
            self._helper = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYDANTIC_DISABLE_PLUGINS": "__all__"},
            )
            output, _ = self._helper.communicate(data, timeout=_HELPER_SECONDS)
            texts = json.loads(output) if self._helper.returncode == 0 else None
        except (OSError, ValueError, subprocess.SubprocessError):
            texts = None
        finally:
            self.close_helper()
        return texts if isinstance(texts, dict) else None

    def close(self) -> None:
        """The app is closing: empty a journal the file has caught up with, end the helper, free the file."""
        self.journal.close()
        self.close_helper()
        self.release_lock()

    def close_helper(self) -> None:
        """End the process `prepare` started, if it still runs (the app is closing)."""
        helper, self._helper = self._helper, None
        if helper is not None and helper.poll() is None:
            helper.kill()
            helper.wait()

    def record(self, session: Session) -> None:
        """Journal an edit before it is shown as done (raises OSError when the disk refuses)."""
        data = dump_session(session).encode("utf-8")
        self.journal.record(data)
        if data == self.known:
            # Back to what the file holds (an undo, a reload of theirs): nothing to recover.
            self.journal.saved(data)

    def recover(self) -> Session | None:
        """Edits a crash left in the journal that the file does not have, or None."""
        latest = self.journal.latest()
        if latest is None or latest == self.known:
            return None
        try:
            return parse_session(latest, str(self.journal.path))
        except SessionError:
            return None

    def changed_outside(self) -> bytes | None:
        """The file's new bytes when someone else changed it since we read or wrote it.

        Asked every second, so it reads the file only when its size or time changed.
        """
        try:
            stat = self.path.stat()
            if (stat.st_mtime_ns, stat.st_size) == self._seen:
                return None
            data = self.path.read_bytes()
        except OSError:
            return None  # a folder deleted under us is reported when saving
        if data == self.known:
            self._seen = (stat.st_mtime_ns, stat.st_size)
            return None
        return data if self.known is not None else None

    def keep_theirs_beside(self, theirs: bytes) -> Path:
        """Save someone else's version next to the session before ours replaces it."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        beside = self.path.with_name(f"{self.path.stem}.theirs-{stamp}{self.path.suffix}")
        write_atomic(beside, theirs)
        return beside

    # ------------------------------------------------------------ lock

    def lock_holder(self) -> LockHolder | None:
        """Another live portstorm that has this file open, if any (stale locks are ignored)."""
        try:
            data = json.loads(self.lock_path.read_text(encoding="utf-8"))
            holder = LockHolder(int(data["pid"]), str(data["host"]), str(data["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if holder.pid == os.getpid() or (holder.host == socket.gethostname() and not _alive(holder.pid)):
            return None
        return holder

    def take_lock(self) -> None:
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M")}
        try:
            write_atomic(self.lock_path, json.dumps(record).encode("utf-8"))
            self.holds_lock = True
        except OSError:
            self.holds_lock = False  # a read-only folder: the app still works, unlocked

    def release_lock(self) -> None:
        if self.holds_lock:
            with contextlib.suppress(OSError):
                self.lock_path.unlink()
            self.holds_lock = False


def _alive(pid: int) -> bool:
    """Is a portstorm still running as `pid`? (Not a zombie left by a kill, nor a reused pid.)"""
    proc = Path("/proc") / str(pid)
    if Path("/proc/self").exists():
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            return False
        return state != "Z" and b"portstorm" in command
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
