"""Undo and redo over whole frozen sessions."""

from __future__ import annotations

from model import edits
from model.history import History
from model.session import Event, Session


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
    assert history.session is first
    assert history.undo() == "add Order Placed"
    assert history.session is start
    assert (history.can_undo, history.can_redo) == (False, True)

    assert history.redo() == "add Order Placed"
    assert history.redo() == "add Order Shipped"
    assert history.session is second
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
    assert history.session is start
    assert not history.can_undo
