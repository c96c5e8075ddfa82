"""Saving: canonical, idempotent, atomic, with a backup, and never losing a field."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from model.session import Event, Session
from model.sessionfile import (
    dump_session,
    load_session,
    parse_session,
    record_texts,
    remember_record_texts,
    save_session,
)
from tests.conftest import SAMPLES, hostile_session, session_from

MESSY = """\
# a comment that a save does not keep
app: shop
name:   "Shop"
portstorm: 1
x-top: {kept: [1, 2, {deep: true}]}
hotspots:
  - {text: Why?, x-votes: 3}
events:
  - pivotal: false
    name: Order Placed
    fields: {total: number, orderId: string}
    x-colour: orange
    notes: |
      first line
      second line
contexts: []
"""


def test_samples_are_stored_canonically() -> None:
    for path in SAMPLES.glob("*.yaml"):
        assert dump_session(load_session(path)) == path.read_text(encoding="utf-8"), path.name


def test_canonical_layout_has_a_fixed_key_order() -> None:
    assert dump_session(session_from(MESSY)) == (
        "portstorm: 1\n"
        "name: Shop\n"
        "app: shop\n"
        "contexts: []\n"
        "events:\n"
        "- name: Order Placed\n"
        "  fields: {total: number, orderId: string}\n"
        "  notes: |\n"
        "    first line\n"
        "    second line\n"
        "  x-colour: orange\n"
        "policies: []\n"
        "infrastructure: []\n"
        "hotspots:\n"
        "- text: Why?\n"
        "  x-votes: 3\n"
        "x-top:\n"
        "  kept:\n"
        "  - 1\n"
        "  - 2\n"
        "  - deep: true\n"
    )


def test_load_save_load_is_lossless_and_save_is_idempotent() -> None:
    first = session_from(MESSY)
    text = dump_session(first)
    second = parse_session(text.encode(), "again.yaml")
    assert second == first
    assert second.extensions == {"x-top": {"kept": [1, 2, {"deep": True}]}}
    assert second.events[0].extensions == {"x-colour": "orange"}
    assert second.hotspots[0].extensions == {"x-votes": 3}
    assert dump_session(second) == text


@pytest.mark.parametrize(
    "name",
    [
        "yes",
        "no",
        "~",
        "null",
        "0x10",
        "1e3",
        "2024-01-01",
        "- dash",
        "a: colon",
        "#hash",
        "${AWS::Region}",
        "{{resolve:ssm:/x}}",
        'say "hi"',
        "it's",
        "tab\there",
        "line\nbreak",
        "trailing ",
        " leading",
        "\u202eevil",
        "emoji 🎉",
        "控制",
        "\x07bell",
        "\ufeffbom",
        "nel\x85line",
        "ls\u2028ps",
    ],
)
def test_awkward_names_round_trip_exactly(name: str) -> None:
    session = Session(name=name, app="shop", events=(Event(name=name, notes=name),))
    text = dump_session(session)
    assert parse_session(text.encode("utf-8"), "x.yaml") == session
    assert dump_session(parse_session(text.encode("utf-8"), "x.yaml")) == text


def test_save_writes_the_canonical_text_and_keeps_a_backup(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(MESSY)
    session = load_session(path)
    assert save_session(session, path) is True
    assert path.read_text() == dump_session(session)
    assert (tmp_path / "shop.yaml~").read_text() == MESSY


def test_saving_unchanged_content_writes_nothing(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    session = session_from(MESSY)
    save_session(session, path)
    before = path.stat().st_mtime_ns
    assert save_session(session, path) is False
    assert path.stat().st_mtime_ns == before
    assert not (tmp_path / "shop.yaml~").exists()


def test_save_keeps_the_file_mode(tmp_path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(MESSY)
    path.chmod(0o640)
    save_session(session_from(MESSY).model_copy(update={"name": "Renamed"}), path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_failed_save_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(MESSY)

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        save_session(session_from(MESSY).model_copy(update={"name": "Renamed"}), path)
    assert path.read_text() == MESSY
    assert sorted(item.name for item in tmp_path.iterdir()) == ["shop.yaml"]


def test_record_texts_from_another_process_are_checked_before_they_are_taken() -> None:
    text = dump_session(hostile_session())  # every free text awkward, much of it not ASCII
    command = [sys.executable, "-c", "from model.sessionfile import write_record_texts; write_record_texts()"]
    texts = json.loads(subprocess.run(command, input=text.encode(), capture_output=True, check=True).stdout)
    assert texts == record_texts(parse_session(text.encode()))
    fresh = parse_session(text.encode())
    events = texts["events"]
    assert not remember_record_texts(fresh, {**texts, "events": events[1:] + events[:1]})  # other records'
    assert not remember_record_texts(fresh, {**texts, "policies": texts["policies"][:-1]})  # one missing
    assert not remember_record_texts(fresh, {key: value for key, value in texts.items() if key != "hotspots"})
    assert remember_record_texts(fresh, texts)
    assert dump_session(fresh) == text
