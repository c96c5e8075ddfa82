"""The board's own parts: lanes found after an edit, and lines cut to the width in view."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from model import edits
from model.session import Context, Event, Session
from tests.test_properties import edit_steps, edited, sessions
from tui.board import _first_cells, lanes_after_edit, lanes_of


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions(), edit_steps)
def test_lanes_found_from_the_last_edit_are_the_lanes_drawn_afresh(session: Session, steps) -> None:
    lanes = lanes_of(session)
    for tag, (kind, number) in enumerate(steps):
        changed = edited(session, kind, number, tag)
        if changed is None:
            continue
        lanes = lanes_after_edit(session, lanes, changed)
        assert lanes == lanes_of(changed)
        session = changed


def test_an_added_card_shifts_only_the_cards_after_it() -> None:
    contexts = (Context(id="orders"), Context(id="billing"))
    events = tuple(Event(name=f"Thing {n} Happened", context=("orders", "billing")[n % 2]) for n in range(10))
    before = Session(name="Shop", app="shop", contexts=contexts, events=events)
    after = edits.add_event(before, Event(name="New Happened", context="orders"), 4)
    lanes = lanes_after_edit(before, lanes_of(before), after)
    assert [lane.events for lane in lanes] == [(), (0, 2, 4, 5, 7, 9), (1, 3, 6, 8, 10)]


def test_a_new_context_draws_the_lanes_afresh() -> None:
    before = Session(name="Shop", app="shop", events=(Event(name="Order Placed"),))
    after = edits.assign(before.model_copy(update={"contexts": (Context(id="orders"),)}), [0], "orders")
    assert lanes_after_edit(before, lanes_of(before), after) == lanes_of(after)


@given(
    st.lists(st.text(st.sampled_from("ab 日本✓…"), min_size=1, max_size=6), min_size=1, max_size=6),
    st.integers(0, 40),
)
def test_a_line_cut_to_the_view_is_what_a_strip_crop_gives(texts: list[str], width: int) -> None:
    segments = [Segment(text, Style(bold=number % 2 == 0)) for number, text in enumerate(texts)]
    whole = Strip(segments)
    width = min(width, whole.cell_length)
    assert Strip(_first_cells(segments, width), width) == whole.crop(0, width)
