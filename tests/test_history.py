"""Undo and redo: every step goes back and forth exactly, and keeps only what changed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from model import edits
from model.history import History
from model.session import Event, Session, shared_ends
from tests.test_properties import edit_steps, edited, sessions


def test_a_new_history_has_nothing_to_undo_or_redo() -> None:
    start = Session(name="Shop", app="shop")
    history = History(start)
    assert (history.session, history.can_undo, history.can_redo, history.labels) == (start, False, False, [])
    assert history.undo() is None
    assert history.redo() is None
    assert history.session is start


def test_undo_and_redo_walk_back_and_forth_returning_labels() -> None:
    start = Session(name="Shop", app="shop")
    first = edits.add_event(start, Event(name="Order Placed"))
    second = edits.add_event(first, Event(name="Order Shipped"))
    history = History(start)
    history.apply(first, "add Order Placed")
    history.apply(second, "add Order Shipped")
    assert history.labels == ["add Order Placed", "add Order Shipped"]

    assert history.undo() == "add Order Shipped"
    assert history.session == first
    assert history.undo() == "add Order Placed"
    assert history.session == start
    assert (history.can_undo, history.can_redo) == (False, True)

    assert history.redo() == "add Order Placed"
    assert history.redo() == "add Order Shipped"
    assert history.session == second
    assert (history.can_undo, history.can_redo) == (True, False)


def test_a_new_edit_after_undo_clears_redo() -> None:
    start = Session(name="Shop", app="shop")
    history = History(start)
    history.apply(edits.add_event(start, Event(name="Order Placed")), "add Order Placed")
    history.undo()
    other = edits.add_event(start, Event(name="Payment Taken"))
    history.apply(other, "add Payment Taken")
    assert not history.can_redo
    assert history.redo() is None
    assert history.labels == ["add Payment Taken"]
    assert history.session is other


def test_history_is_unlimited() -> None:
    start = Session(name="Shop", app="shop")
    history = History(start)
    for number in range(5000):
        history.apply(history.session.model_copy(update={"name": f"Shop {number}"}), f"rename {number}")
    undone = [history.undo() for _ in range(5000)]
    assert undone[0] == "rename 4999"
    assert undone[-1] == "rename 0"
    assert history.session == start
    assert not history.can_undo


def test_a_step_keeps_only_what_changed() -> None:
    from model.history import _difference

    big = Session(name="Big", app="big", events=tuple(Event(name=f"Thing {n} Happened") for n in range(10_000)))
    added = edits.add_event(big, Event(name="New Happened"), 4_999)
    (splice,) = _difference(big, added, "add").splices
    assert (splice.section, splice.start, splice.before, splice.after) == ("events", 5_000, (), (added.events[5_000],))
    moved = edits.move_event(big, 10, 20)
    (splice,) = _difference(big, moved, "move").splices
    assert (splice.start, len(splice.before), len(splice.after)) == (10, 11, 11)


def test_header_fields_and_extensions_come_back() -> None:
    start = Session.model_validate({"portstorm": 1, "name": "Shop", "app": "shop", "x-note": {"a": 1}})
    renamed = start.model_copy(update={"name": "Renamed", "description": "now described"})
    history = History(start)
    history.apply(renamed, "rename")
    history.undo()
    assert history.session == start
    assert history.session.extensions == {"x-note": {"a": 1}}
    history.redo()
    assert history.session == renamed


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), edit_steps)
def test_undoing_every_step_gives_back_every_version(session: Session, steps: list[tuple[str, int]]) -> None:
    history = History(session)
    versions = [session]
    for kind, number in steps:
        changed = edited(history.session, kind, number, len(versions))
        if changed is None:
            continue
        history.apply(changed, kind)
        versions.append(changed)
    for expected in reversed(versions[:-1]):
        history.undo()
        assert history.session == expected
    for expected in versions[1:]:
        history.redo()
        assert history.session == expected


def test_shared_ends_count_the_same_records_at_head_and_tail() -> None:
    a, b, c, d = (object() for _ in range(4))
    assert shared_ends((a, b, c), (a, b, c)) == (3, 0)
    assert shared_ends((a, b, c), (a, d, c)) == (1, 1)
    assert shared_ends((a, b), (a, b, c)) == (2, 0)
    assert shared_ends((a, b), (c, a, b)) == (0, 2)
    assert shared_ends((a,), (a, a)) == (1, 0)  # the shared head is never counted again in the tail
    assert shared_ends((), ()) == (0, 0)
