"""The store's preparation for quick first edits: the YAML of every record, written by another process."""

from __future__ import annotations

import sys

import pytest

from benchmarks.generate import synthetic_session
from model import sessionfile
from model.sessionfile import dump_session, save_session
from tui.store import SessionStore


@pytest.fixture
def store(tmp_path) -> SessionStore:
    path = tmp_path / "big.yaml"
    save_session(synthetic_session(300, 12), path)
    return SessionStore(path)


@pytest.fixture
def yaml_written(monkeypatch) -> list[int]:
    """How many pieces of YAML this process writes (a record each, and the header of a whole session)."""
    written = [0]
    serialize = sessionfile._serialize

    def counted(node):
        written[0] += 1
        return serialize(node)

    monkeypatch.setattr(sessionfile, "_serialize", counted)
    return written


def test_preparing_leaves_the_records_yaml_to_another_process(store, yaml_written) -> None:
    session = store.load()
    store.prepare(session)
    assert yaml_written[0] <= 2 * 5  # the first and the last record of each section, checked here
    yaml_written[0] = 0
    assert dump_session(session).encode("utf-8") == store.known
    assert yaml_written[0] == 1  # only the header: every record's text was there


def test_without_the_other_process_preparing_writes_the_yaml_here(store, yaml_written, monkeypatch) -> None:
    session = store.load()
    monkeypatch.setattr(sys, "executable", str(store.path.with_name("no-python-here")))
    store.prepare(session)
    assert yaml_written[0] > len(session.events)
    yaml_written[0] = 0
    assert dump_session(session).encode("utf-8") == store.known
    assert yaml_written[0] == 1


def test_a_session_other_than_the_one_read_is_prepared_here(store, yaml_written) -> None:
    """Texts worked out from the file would belong to other records (recovered edits, say)."""
    store.load()
    other = synthetic_session(300, 12)  # equal, but not the records that were read
    store.prepare(other)
    assert yaml_written[0] > len(other.events)
    assert dump_session(other).encode("utf-8") == store.known
