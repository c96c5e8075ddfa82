"""The journal: entries survive, a torn entry never counts, a save empties it only when caught up."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from model.journal import Journal, _same_head, _same_tail, journal_path, last_entry
from model.sessionfile import save_session
from tests.conftest import SAMPLES
from tui.store import SessionStore


def test_the_last_complete_entry_wins(tmp_path) -> None:
    journal = Journal(tmp_path / "shop.yaml")
    journal.record(b"first")
    journal.record(b"second\nwith lines")
    assert journal.latest() == b"second\nwith lines"
    assert journal.path == journal_path(tmp_path / "shop.yaml") == tmp_path / ".shop.yaml.journal"


def test_an_entry_cut_short_by_a_crash_is_ignored(tmp_path) -> None:
    journal = Journal(tmp_path / "shop.yaml")
    journal.record(b"complete")
    journal.record(b"this one is torn")
    content = journal.path.read_bytes()
    for cut in range(len(content) - 2, len(content) - len(b"this one is torn") - 60, -1):  # the last newline is spare
        assert last_entry(content[:cut]) == b"complete", cut
    assert last_entry(content.replace(b"torn", b"TORN")) == b"complete"  # checksum mismatch
    assert last_entry(b"") is None
    assert last_entry(b"garbage\n") is None


def test_entries_hold_only_what_changed_and_replay_to_every_version(tmp_path) -> None:
    rng = random.Random(6)
    journal = Journal(tmp_path / "shop.yaml")
    text = bytes(rng.choice(b"ab\n") for _ in range(30_000))  # few letters: long runs that look alike
    journal.record(text)
    size = journal.path.stat().st_size
    for _ in range(200):
        start = rng.randrange(len(text) + 1)
        end = min(len(text), start + rng.randrange(10_000))
        new = bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(10_000)))
        text = text[:start] + new + text[end:]
        journal.record(text)
        assert journal.latest() == text
        grew, size = journal.path.stat().st_size - size, journal.path.stat().st_size
        assert grew <= len(new) + (end - start) + 120  # the changed bytes and a header, never the whole text


texts_alike = st.builds(  # few letters, long runs that look alike; sizes well past the halving's short span
    lambda size, seed: bytes(random.Random(seed).choices(b"ab\n", k=size)), st.integers(0, 3_000), st.integers()
)


@given(texts_alike, texts_alike, texts_alike, texts_alike)
def test_the_shared_head_and_tail_are_the_longest_there_are(common_head, old_middle, new_middle, common_tail) -> None:
    old, new = common_head + old_middle + common_tail, common_head + new_middle + common_tail
    head = _same_head(old, new)
    assert head == _shared_prefix(old, new)
    tail = _same_tail(old, new, head)
    assert tail == _shared_prefix(old[head:][::-1], new[head:][::-1])


def _shared_prefix(one: bytes, other: bytes) -> int:
    """The plain way: byte by byte."""
    return next((at for at, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), min(len(one), len(other)))


def test_a_save_that_caught_up_keeps_the_journal_for_the_next_edit_until_the_app_closes(tmp_path) -> None:
    journal = Journal(tmp_path / "shop.yaml")
    text = b"an event\n" * 1_000
    journal.record(text)
    journal.record(text + b"v2\n")
    journal.saved(text)  # a save of an older version finished after v2 was journaled
    journal.close()
    assert journal.latest() == text + b"v2\n"  # the file lacks v2: kept for the next open
    journal.saved(text + b"v2\n")
    size = journal.path.stat().st_size
    journal.record(text + b"v3\n")
    assert journal.latest() == text + b"v3\n"
    assert journal.path.stat().st_size - size < 100  # what changed, not the whole text again
    journal.saved(text + b"v3\n")
    journal.close()
    assert not journal.path.exists()


def test_a_caught_up_journal_is_emptied_once_it_has_grown_to_twice_the_text(tmp_path) -> None:
    journal = Journal(tmp_path / "shop.yaml")
    text, emptied = b"an event\n" * 100, 0
    for number in range(100):
        version = text + b"edit %d\n" % number * 20
        journal.record(version)
        assert journal.latest() == version
        journal.saved(version)
        if journal.path.exists():
            assert journal.path.stat().st_size <= 2 * len(version)
        else:
            emptied += 1
    assert 0 < emptied < 100


def test_the_store_recovers_what_the_file_does_not_have(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_bytes((SAMPLES / "back-office.yaml").read_bytes())
    store = SessionStore(path)
    session = store.load()
    assert store.recover() is None
    renamed = session.model_copy(update={"name": "Renamed Before The Crash"})
    store.record(renamed)
    again = SessionStore(path)
    again.load()
    assert again.recover() == renamed
    again.save(renamed)
    assert not again.journal.path.exists()
    assert SessionStore(path).recover() is None


def test_after_a_reload_of_their_file_a_crash_recovers_nothing(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_bytes((SAMPLES / "back-office.yaml").read_bytes())
    store = SessionStore(path)
    session = store.load()
    store.record(session.model_copy(update={"name": "Ours"}))
    store.save(session.model_copy(update={"name": "Ours"}))  # caught up: the journal stays for the next edit
    theirs = session.model_copy(update={"name": "Theirs"})
    save_session(theirs, path)  # another editor, a git pull
    store.known = path.read_bytes()  # the app loads theirs
    store.record(theirs)
    again = SessionStore(path)  # the app was killed before it closed
    again.load()
    assert again.recover() is None


def test_closing_keeps_only_a_journal_of_edits_the_file_lacks(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_bytes((SAMPLES / "back-office.yaml").read_bytes())
    store = SessionStore(path)
    session = store.load()
    saved = session.model_copy(update={"name": "Saved"})
    store.record(saved)
    store.save(saved)
    store.close()
    assert not store.journal.path.exists()
    store = SessionStore(path)
    store.load()
    unsaved = saved.model_copy(update={"name": "Not Saved Yet"})
    store.record(unsaved)  # the save failed, say, and the user saved elsewhere
    store.close()
    again = SessionStore(path)
    again.load()
    assert again.recover() == unsaved


def test_a_corrupt_journal_recovers_nothing(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_bytes((SAMPLES / "back-office.yaml").read_bytes())
    store = SessionStore(path)
    store.load()
    store.journal.record(b"portstorm: 1\nname: [broken\n")
    assert store.recover() is None
