"""Crash safety: a SIGKILL at any moment of a save leaves the old file or the new one, never a mix.

A child process saves ever newer versions of a 2,000-event session to one file, saying
when each write starts and ends; the test kills it at random moments of a write and
checks what is on disk.
"""

from __future__ import annotations

import itertools
import os
import random
import select
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

import pytest

from model.session import Context, Event, Session
from model.sessionfile import dump_session, load_session, save_bytes, save_session
from tests.conftest import ROOT

KILLS = 24
TIME_LIMIT = 120.0
"""Seconds for the whole test: a child that goes silent fails it instead of hanging the suite."""
EVENTS = 2_000

CHILD = "import sys; from tests.test_crash_save import save_forever; save_forever(sys.argv[1], int(sys.argv[2]))"


def version(number: int) -> Session:
    """Version `number`: its name says the number, its 2,000 events one of two alternating contents."""
    content = "AB"[number % 2]
    events = tuple(
        Event(name=f"Event {index} of {content}", context="orders", fields={"id": "string"}, notes=f"content {content}")
        for index in range(EVENTS)
    )
    return Session(name=f"Version {number}", app="crash", contexts=(Context(id="orders"),), events=events)


def save_forever(path: str, first: int) -> None:
    """The child: save versions `first`, `first + 1`, ... to `path`, saying when each write starts and ends.

    `save_session` is `save_bytes(dump_session(...))`; calling the two apart lets the parent
    aim its kills at the writing rather than at the (much longer) dumping.
    """
    for number in itertools.count(first):
        data = dump_session(version(number)).encode("utf-8")
        os.write(1, f"writing {number}\n".encode())  # one write(2) per line: a kill cannot split it
        save_bytes(data, Path(path))
        os.write(1, f"saved {number}\n".encode())


def read_report(stream: IO[bytes], deadline: float) -> tuple[str, int]:
    """The child's next line ('writing', n) or ('saved', n), waiting no later than `deadline`."""
    ready, _, _ = select.select([stream], [], [], max(deadline - time.monotonic(), 0))
    assert ready, "the saving child went silent"
    line = stream.readline()
    assert line, "the saving child stopped"
    kind, number = line.split()
    return kind.decode(), int(number)


def version_of(path: Path) -> int:
    """The version a file holds, checked to be exactly that version (loads, complete, not mixed)."""
    session = load_session(path)
    number = int(session.name.removeprefix("Version "))
    assert session == version(number), f"{path.name} mixes versions"
    return number


def test_a_kill_during_a_save_never_leaves_a_mixed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], record_property
) -> None:
    """After each SIGKILL the file is the last completed save or the one in progress, whole; so is FILE~."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    target = tmp_path / "session.yaml"
    backup = tmp_path / "session.yaml~"
    deadline = time.monotonic() + TIME_LIMIT
    outcomes: Counter[str] = Counter()
    next_version = 0
    for _ in range(KILLS):
        before = set(tmp_path.glob(".session.yaml*.tmp"))
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(target), str(next_version)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert child.stdout is not None
        try:
            for _ in range(rng.randint(1, 3)):
                assert read_report(child.stdout, deadline)[0] == "writing"
                started = time.monotonic()
                done = read_report(child.stdout, deadline)[1]
                writing = time.monotonic() - started
            assert read_report(child.stdout, deadline)[0] == "writing"
            time.sleep(rng.randrange(int(writing * 1.5e6) + 1) / 1e6)  # a random moment of the write
        finally:
            child.kill()
            child.wait()
        lines = child.stdout.read().decode().splitlines()  # what the child said just before it died
        child.stdout.close()
        done = max([done, *(int(line.split()[1]) for line in lines if line.startswith("saved"))])

        survived = version_of(target)
        assert survived in (done, done + 1)
        outcomes["the last completed save survived" if survived == done else "the save in progress survived"] += 1
        if backup.exists():
            assert version_of(backup) in (survived - 1, survived)
        left = set(tmp_path.glob(".session.yaml*.tmp")) - before
        assert len(left) <= 1, f"one kill left several temporary files: {sorted(left)}"
        outcomes["kills that left a temporary file"] += len(left)
        next_version = survived + 1  # the file goes through versions 0, 1, 2, ... so FILE~ is one behind

    assert save_session(version(next_version), target)  # the leftovers never block a save
    assert version_of(target) == next_version
    leftovers = set(tmp_path.glob(".session.yaml*.tmp"))
    assert set(tmp_path.iterdir()) == {target, backup, *leftovers}

    figures = {"kills": KILLS, **outcomes, "temporary files left at the end": len(leftovers), "seed": seed}
    for name, count in figures.items():
        record_property(name, count)
    with capsys.disabled():
        print("\ncrash-save figures: " + ", ".join(f"{name} {count}" for name, count in figures.items()))


def test_a_save_after_one_killed_between_its_renames_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A save killed after making FILE~ leaves FILE~ a hard link of FILE; the next save still cleans up.

    rename(2) of one link onto another link of the same file does nothing, so the
    `.FILE~.<pid>.tmp` link made for the backup must be removed by the save itself.
    """
    target = tmp_path / "session.yaml"
    save_session(version(0), target)
    (tmp_path / "session.yaml~").hardlink_to(target)  # what a kill between the two renames leaves
    assert save_session(version(1), target)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["session.yaml", "session.yaml~"]
    assert version_of(target) == 1
    assert version_of(tmp_path / "session.yaml~") == 0
