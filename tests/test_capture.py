"""Quick capture: the one-line syntax, its hints, and what a capture adds to a session."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.capture import CAPTURE_SYNTAX, Capture, CaptureError, apply_capture, parse_capture
from model.edits import EditError
from model.session import Context, Event, Policy, Session, reference_errors
from tests.test_properties import sessions, slugs, texts

ORDERS = "orders"


@pytest.mark.parametrize(
    ("text", "capture"),
    [
        ("Order Placed", Capture("Order Placed")),
        ("  Order   Placed  ", Capture("Order Placed")),
        ("Order Placed @orders", Capture("Order Placed", ORDERS)),
        ("Order Placed@orders", Capture("Order Placed", ORDERS)),
        ("Order Placed @ orders ", Capture("Order Placed", ORDERS)),
        (CAPTURE_SYNTAX, Capture("Order Placed", ORDERS, "inventory", "Reserve Stock")),
        (
            "Order Placed@orders->inventory:Reserve  Stock",
            Capture("Order Placed", ORDERS, "inventory", "Reserve Stock"),
        ),
        ("Order Placed -> inventory: Reserve Stock", Capture("Order Placed", None, "inventory", "Reserve Stock")),
        ("Order Placed -> inventory: Reserve: Stock", Capture("Order Placed", None, "inventory", "Reserve: Stock")),
        ("Заказ размещён 🎉 @orders", Capture("Заказ размещён 🎉", ORDERS)),
    ],
)
def test_parse_capture(text: str, capture: Capture) -> None:
    assert parse_capture(text) == capture


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "type an event name first"),
        ("   ", "type an event name first"),
        ("@orders", "type an event name first"),
        ("-> inventory: Reserve Stock", "type an event name first"),
        ("Order Placed @", "after @ comes a context id, like @orders"),
        ("Order Placed @  -> inventory: Reserve Stock", "after @ comes a context id, like @orders"),
        ("Order Placed @Orders", "context ids are lowercase words joined by '-': try @orders"),
        ("Order Placed @order service", "try @order-service"),
        ("Order Placed @42", "context ids use a-z, 0-9 and '-', like @orders"),
        ("Order Placed @a @b", "one @context per event, like @orders"),
        ("Order Placed ->", "-> needs a context and a command, like -> inventory: Reserve Stock"),
        ("Order Placed -> inventory", "-> needs a context and a command"),
        ("Order Placed -> inventory:", "-> needs a context and a command"),
        ("Order Placed -> : Reserve Stock", "-> needs a context and a command"),
        ("Order Placed -> Inventory: Reserve Stock", "try -> inventory"),
        ("Order Placed -> inventory: Reserve @orders", "put @context right after the event name, before ->"),
        ("A -> b: C -> d: E", "one -> per line"),
        ("Order \ud800 Placed", "some characters cannot be saved"),
    ],
)
def test_parse_capture_hints_say_the_fix(text: str, hint: str) -> None:
    with pytest.raises(CaptureError) as raised:
        parse_capture(text)
    assert hint in raised.value.hint
    assert str(raised.value) == raised.value.hint


@settings(max_examples=500, deadline=None)
@given(
    st.text() | st.lists(st.sampled_from(["@", "->", ":", " ", "Order", "orders", "Ö", "-", ">", "\t"])).map("".join)
)
def test_parse_capture_raises_nothing_but_capture_errors(text: str) -> None:
    try:
        capture = parse_capture(text)
    except CaptureError:
        return
    assert capture.name == " ".join(capture.name.split()) != ""
    assert (capture.reacting_context is None) == (capture.command is None)


@settings(max_examples=200, deadline=None)
@given(
    # Lone surrogates cannot be saved at all: parse_capture refuses them (tested above).
    st.lists(st.text(st.characters(exclude_characters="@->:", exclude_categories=["Cs"]), min_size=1), min_size=1).map(
        " ".join
    ),
    st.none() | slugs,
    st.none()
    | st.tuples(slugs, st.text(st.characters(exclude_characters="@->", exclude_categories=["Cs"]), min_size=1)),
    st.sampled_from(["", " ", "  ", "\t"]),
)
def test_written_captures_read_back(name: str, context: str | None, reaction: tuple[str, str] | None, gap: str) -> None:
    text = (
        name
        + (f"{gap}@{gap}{context}" if context else "")
        + (f"{gap}->{gap}{reaction[0]}:{gap}{reaction[1]}" if reaction else "")
    )
    words = " ".join(name.split())
    command = " ".join(reaction[1].split()) if reaction else None
    if not words or (reaction and not command):
        return
    assert parse_capture(text) == Capture(words, context, reaction[0] if reaction else None, command)


def test_apply_capture_creates_contexts_and_the_policy() -> None:
    session = Session(name="Shop", app="shop", contexts=(Context(id="inventory"),), events=(Event(name="Cart Filled"),))
    result, created = apply_capture(session, parse_capture(CAPTURE_SYNTAX), -1)
    assert created == [ORDERS]
    assert [context.id for context in result.contexts] == ["inventory", ORDERS]
    assert result.events[0] == Event(name="Order Placed", context=ORDERS)
    assert result.policies == (Policy(when="Order Placed", then="Reserve Stock", context="inventory"),)
    assert list(reference_errors(result)) == []


def test_apply_capture_creates_each_context_once() -> None:
    session = Session(name="Shop", app="shop")
    result, created = apply_capture(session, parse_capture("Order Placed @orders -> orders: Confirm Order"))
    assert created == [ORDERS]
    assert result.events == (Event(name="Order Placed", context=ORDERS),)
    _, created = apply_capture(result, parse_capture("Order Shipped @orders"))
    assert created == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("order placed  @orders", "there is already an event 'Order Placed'"), ("X @platform", "'platform' is reserved")],
)
def test_apply_capture_refuses(text: str, message: str) -> None:
    session = Session(name="Shop", app="shop", events=(Event(name="Order Placed"),))
    with pytest.raises(EditError, match=message):
        apply_capture(session, parse_capture(text))


@settings(max_examples=60, deadline=None)
@given(sessions(), st.data())
def test_applied_captures_keep_a_session_sound(session: Session, data: st.DataObject) -> None:
    known = [event.name for event in session.events] + [context.id for context in session.contexts]
    words = st.sampled_from([*known, "@", "->", ":", "platform", "Order Placed"]) | slugs | texts
    text = " ".join(data.draw(st.lists(words, min_size=1, max_size=6)))
    after = data.draw(st.none() | st.integers(-1, len(session.events) - 1))
    try:
        result, created = apply_capture(session, parse_capture(text), after)
    except (CaptureError, EditError):
        return
    assert list(reference_errors(result)) == []
    assert len(result.events) == len(session.events) + 1
    assert [context.id for context in result.contexts] == [context.id for context in session.contexts] + created
