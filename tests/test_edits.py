"""The editing core: every edit, every refusal, references that follow, x- keys kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import edits, sessionfile
from model.edits import EditError
from model.session import EVENT_BUS, PLATFORM, Context, Event, Hotspot, Policy, Resource, Session, reference_errors
from model.sessionfile import dump_session, parse_session
from tests.conftest import session_from
from tests.test_import_hygiene import modules_loaded_by
from tests.test_properties import sessions, slugs, texts

SHOP = """\
    portstorm: 1
    name: Shop
    app: shop
    x-facilitator: Ada
    contexts:
    - id: orders
      name: Orders
      x-colour: blue
    - id: inventory
      uses: [stock-table, user-pool]
    - id: payments
    events:
    - name: Order Placed
      context: orders
      x-sticky: 7
    - name: Stock Reserved
      context: inventory
    - name: Payment Taken
      context: payments
    - name: Customer Registered
    policies:
    - when: Order Placed
      then: Reserve Stock
      context: inventory
      x-note: keep
    - when: Order Placed
      then: Take Payment
      context: payments
    - when: Payment Taken
      then: Confirm Order
      context: orders
    infrastructure:
    - id: stock-table
      kind: table
      owner: inventory
    - id: user-pool
      kind: user-pool
    hotspots:
    - text: Who refunds a failed payment?
      about: Payment Taken
      x-votes: 3
    - text: Do we need a catalog?
"""

T = TypeVar("T")


@pytest.fixture
def shop() -> Session:
    return session_from(SHOP)


def sound(session: Session) -> Session:
    """The session, after checking it is sound and survives a save and a load unchanged."""
    assert list(reference_errors(session)) == []
    assert parse_session(dump_session(session).encode("utf-8")) == session
    return session


def names(session: Session) -> list[str]:
    return [event.name for event in session.events]


def refuses(message: str) -> AbstractContextManager[pytest.ExceptionInfo[EditError]]:
    return pytest.raises(EditError, match=message)


# ---------------------------------------------------------------- events


def test_event_index_ignores_case_and_spaces(shop: Session) -> None:
    assert edits.event_index(shop, "  payment TAKEN ") == 2
    assert edits.event_index(shop, "Payment Failed") is None


@pytest.mark.parametrize(("after", "position"), [(None, 4), (-1, 0), (0, 1), (3, 4)])
def test_add_event_inserts_after_a_position(shop: Session, after: int | None, position: int) -> None:
    result = sound(edits.add_event(shop, Event(name="Order Shipped", context="orders"), after))
    assert names(result)[position] == "Order Shipped"
    assert len(result.events) == 5
    assert shop.events == session_from(SHOP).events  # the input is never changed


def test_add_event_refuses_a_duplicate_name_naming_the_existing_event(shop: Session) -> None:
    with refuses("there is already an event 'Order Placed' \\(number 1"):
        edits.add_event(shop, Event(name="  order placed "))


def test_add_event_refuses_an_unknown_context_with_a_suggestion(shop: Session) -> None:
    with refuses("unknown context 'order' \\(did you mean 'orders'\\?\\)"):
        edits.add_event(shop, Event(name="Order Shipped", context="order"))


@pytest.mark.parametrize("after", [-2, 4, 10])
def test_add_event_refuses_a_position_off_the_timeline(shop: Session, after: int) -> None:
    with refuses("cannot insert after position"):
        edits.add_event(shop, Event(name="Order Shipped"), after)


def test_update_event_renames_and_policies_and_hotspots_follow(shop: Session) -> None:
    result = sound(edits.update_event(shop, 2, Event(name="Payment Captured", context="payments")))
    assert names(result)[2] == "Payment Captured"
    assert [policy.when for policy in result.policies] == ["Order Placed", "Order Placed", "Payment Captured"]
    assert result.hotspots[0].about == "Payment Captured"
    assert result.hotspots[0].extensions == {"x-votes": 3}
    assert result.hotspots[1] is shop.hotspots[1]


def test_update_event_may_change_only_the_spelling_of_its_own_name(shop: Session) -> None:
    result = sound(edits.update_event(shop, 0, Event(name="Order placed", context="orders")))
    assert [policy.when for policy in result.policies][:2] == ["Order placed", "Order placed"]


def test_update_event_keeps_x_keys_the_caller_does_not_set(shop: Session) -> None:
    result = edits.update_event(shop, 0, Event(name="Order Placed", command="Place Order"))
    assert result.events[0].extensions == {"x-sticky": 7}
    assert result.events[0].context is None
    replaced = edits.update_event(shop, 0, Event.model_validate({"name": "Order Placed", "x-sticky": 8}))
    assert replaced.events[0].extensions == {"x-sticky": 8}


def test_update_event_refuses_duplicates_unknown_contexts_and_bad_positions(shop: Session) -> None:
    with refuses("there is already an event 'Stock Reserved'"):
        edits.update_event(shop, 0, Event(name="stock reserved"))
    with refuses("unknown context 'shipping'"):
        edits.update_event(shop, 0, Event(name="Order Placed", context="shipping"))
    with refuses("there is no event at position 4 \\(there are 4\\)"):
        edits.update_event(shop, 4, Event(name="Order Placed"))


def test_delete_events_removes_their_policies_and_unlinks_their_hotspots(shop: Session) -> None:
    result = sound(edits.delete_events(shop, iter([2, 0])))
    assert names(result) == ["Stock Reserved", "Customer Registered"]
    assert result.policies == ()
    assert result.hotspots[0].about is None
    assert result.hotspots[0].extensions == {"x-votes": 3}
    assert result.hotspots[0].text == "Who refunds a failed payment?"


def test_delete_events_refuses_a_bad_position_and_deletes_nothing(shop: Session) -> None:
    with refuses("there is no event at position 9"):
        edits.delete_events(shop, [0, 9])


@pytest.mark.parametrize(("index", "to", "order"), [(0, 3, [1, 2, 3, 0]), (3, 0, [3, 0, 1, 2]), (1, 1, [0, 1, 2, 3])])
def test_move_event_puts_the_event_at_the_target_position(shop: Session, index: int, to: int, order: list[int]) -> None:
    result = sound(edits.move_event(shop, index, to))
    assert names(result) == [shop.events[position].name for position in order]


@pytest.mark.parametrize(("index", "to"), [(4, 0), (0, 4), (-1, 0)])
def test_move_event_refuses_positions_off_the_timeline(shop: Session, index: int, to: int) -> None:
    with refuses("there is no event at position"):
        edits.move_event(shop, index, to)


def test_assign_sets_and_clears_contexts_sharing_unchanged_events(shop: Session) -> None:
    result = sound(edits.assign(shop, [0, 3], "payments"))
    assert [event.context for event in result.events] == ["payments", "inventory", "payments", "payments"]
    assert result.events[0].extensions == {"x-sticky": 7}
    assert result.events[1] is shop.events[1]
    cleared = sound(edits.assign(result, {0, 1}, None))
    assert [event.context for event in cleared.events] == [None, None, "payments", "payments"]


def test_assign_refuses_unknown_contexts_and_bad_positions(shop: Session) -> None:
    with refuses("unknown context 'payment' \\(did you mean 'payments'\\?\\)"):
        edits.assign(shop, [0], "payment")
    with refuses("there is no event at position 7"):
        edits.assign(shop, [0, 7], "orders")
    with refuses("unknown context 'platform'"):
        edits.assign(shop, [0], PLATFORM)


# ---------------------------------------------------------------- contexts


def test_add_context(shop: Session) -> None:
    result = sound(edits.add_context(shop, Context(id="shipping", uses=(EVENT_BUS, "user-pool"))))
    assert result.contexts[-1].id == "shipping"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (Context(id="orders"), "there is already a context 'orders'"),
        (Context(id=PLATFORM), "'platform' is reserved"),
        (Context.model_construct(id="Order Service"), "not a context id.+did you mean 'order-service'"),
        (Context(id="shipping", uses=("user-pol",)), "unknown resource 'user-pol' \\(did you mean 'user-pool'"),
    ],
)
def test_add_context_refuses(shop: Session, context: Context, message: str) -> None:
    with refuses(message):
        edits.add_context(shop, context)


def test_ensure_context_creates_only_when_missing(shop: Session) -> None:
    same, created = edits.ensure_context(shop, "orders")
    assert (same, created) == (shop, False)
    result, created = edits.ensure_context(shop, "shipping")
    assert created
    assert sound(result).contexts[-1] == Context(id="shipping")


@pytest.mark.parametrize(
    ("context_id", "message"),
    [
        (
            "Orders",
            "'Orders' is not a context id: use lowercase letters, digits and '-' \\(did you mean 'orders'\\?\\)",
        ),
        ("Café Crème", "did you mean 'cafe-creme'"),
        ("42", "'42' is not a context id: use lowercase letters, digits and '-'$"),
        ("", "'' is not a context id"),
        ("x" * 41, "did you mean 'x{40}'"),
        (PLATFORM, "reserved"),
    ],
)
def test_ensure_context_refuses_bad_ids_with_a_suggestion(shop: Session, context_id: str, message: str) -> None:
    with refuses(message):
        edits.ensure_context(shop, context_id)


def test_rename_context_sets_and_clears_the_display_name(shop: Session) -> None:
    renamed = sound(edits.rename_context(shop, "orders", "Order Desk"))
    assert renamed.contexts[0].name == "Order Desk"
    assert renamed.contexts[0].extensions == {"x-colour": "blue"}
    for cleared in (None, "   "):
        assert sound(edits.rename_context(shop, "orders", cleared)).contexts[0].name is None
    with refuses("unknown context 'order'"):
        edits.rename_context(shop, "order", "Orders")


def test_update_context_with_a_new_id_updates_every_reference(shop: Session) -> None:
    result = sound(edits.update_context(shop, "inventory", Context(id="stock", owner="warehouse-team")))
    assert [context.id for context in result.contexts] == ["orders", "stock", "payments"]
    assert result.contexts[1].uses == ()
    assert result.events[1].context == "stock"
    assert result.policies[0].context == "stock"
    assert result.policies[0].extensions == {"x-note": "keep"}
    assert result.infrastructure[0].owner == "stock"
    assert result.extensions == {"x-facilitator": "Ada"}


def test_update_context_keeping_its_id_keeps_its_x_keys(shop: Session) -> None:
    result = sound(edits.update_context(shop, "orders", Context(id="orders", owner="checkout-team")))
    assert result.contexts[0].extensions == {"x-colour": "blue"}
    assert result.contexts[0].name is None
    assert result.events == shop.events


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (Context(id="payments"), "there is already a context 'payments'"),
        (Context(id=PLATFORM), "reserved"),
        (Context(id="orders", uses=("bucket",)), "unknown resource 'bucket'"),
    ],
)
def test_update_context_refuses(shop: Session, context: Context, message: str) -> None:
    with refuses(message):
        edits.update_context(shop, "orders", context)
    with refuses("unknown context 'nowhere'"):
        edits.update_context(shop, "nowhere", Context(id="orders"))


def test_delete_context_unsorts_its_events_drops_its_policies_and_gives_its_resources_to_the_platform(
    shop: Session,
) -> None:
    result = sound(edits.delete_context(shop, "inventory"))
    assert [context.id for context in result.contexts] == ["orders", "payments"]
    assert names(result) == names(shop)
    assert result.events[1].context is None
    assert [(policy.when, policy.context) for policy in result.policies] == [
        ("Order Placed", "payments"),
        ("Payment Taken", "orders"),
    ]
    assert result.infrastructure[0].owner == PLATFORM
    assert result.events[0] is shop.events[0]


def test_delete_context_never_changes_uses(shop: Session) -> None:
    owner_first = edits.update_context(shop, "orders", Context(id="orders", uses=("stock-table",)))
    result = sound(edits.delete_context(owner_first, "inventory"))
    assert result.contexts[0].uses == ("stock-table",)
    with refuses("unknown context 'inventory'"):
        edits.delete_context(result, "inventory")


# ---------------------------------------------------------------- policies and hotspots


def test_add_policy_takes_the_event_spelling(shop: Session) -> None:
    result = sound(edits.add_policy(shop, Policy(when="stock reserved", then="Take Payment", context="payments")))
    assert result.policies[-1] == Policy(when="Stock Reserved", then="Take Payment", context="payments")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (Policy(when="Order Placd", then="X", context="orders"), "unknown event 'Order Placd' \\(did you mean"),
        (Policy(when="Order Placed", then="X", context="order"), "unknown context 'order'"),
        (
            Policy(when=" order placed", then="reserve  stock".replace("  ", " "), context="inventory"),
            "inventory already runs 'reserve stock' whenever 'Order Placed'",
        ),
    ],
)
def test_add_policy_refuses(shop: Session, policy: Policy, message: str) -> None:
    with refuses(message):
        edits.add_policy(shop, policy)


def test_delete_policy(shop: Session) -> None:
    result = sound(edits.delete_policy(shop, 0))
    assert result.policies == shop.policies[1:]
    with refuses("there is no policy at position 3"):
        edits.delete_policy(shop, 3)


def test_hotspots_are_added_updated_and_deleted(shop: Session) -> None:
    added = sound(edits.add_hotspot(shop, Hotspot(text="Partial shipments?", about="order placed")))
    assert added.hotspots[-1].about == "Order Placed"
    resolved = sound(edits.update_hotspot(added, 0, Hotspot(text="Finance refunds", about=None, resolved=True)))
    assert resolved.hotspots[0] == Hotspot.model_validate({"text": "Finance refunds", "resolved": True, "x-votes": 3})
    deleted = sound(edits.delete_hotspot(resolved, 0))
    assert deleted.hotspots == resolved.hotspots[1:]


def test_hotspot_edits_refuse_unknown_events_and_bad_positions(shop: Session) -> None:
    with refuses("unknown event 'Payment Failed'"):
        edits.add_hotspot(shop, Hotspot(text="?", about="Payment Failed"))
    with refuses("unknown event 'Payment Failed'"):
        edits.update_hotspot(shop, 0, Hotspot(text="?", about="Payment Failed"))
    with refuses("there is no hotspot at position 2"):
        edits.update_hotspot(shop, 2, Hotspot(text="?"))
    with refuses("there is no hotspot at position -1"):
        edits.delete_hotspot(shop, -1)


# ---------------------------------------------------------------- infrastructure


def test_add_resource(shop: Session) -> None:
    result = sound(edits.add_resource(shop, Resource(id="invoices", kind="bucket", owner="payments")))
    assert result.infrastructure[-1].owner == "payments"


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (Resource(id="user-pool", kind="user-pool"), "there is already a resource 'user-pool'"),
        (Resource(id=EVENT_BUS, kind="event-bus"), "'event-bus' is implicit"),
        (Resource(id="invoices", kind="bucket", owner="payment"), "unknown context 'payment'"),
    ],
)
def test_add_resource_refuses(shop: Session, resource: Resource, message: str) -> None:
    with refuses(message):
        edits.add_resource(shop, resource)


def test_delete_resource_removes_it_from_every_uses(shop: Session) -> None:
    result = sound(edits.delete_resource(shop, "stock-table"))
    assert [resource.id for resource in result.infrastructure] == ["user-pool"]
    assert result.contexts[1].uses == ("user-pool",)
    assert result.contexts[0] is shop.contexts[0]
    for missing in ("stock-tables", EVENT_BUS):
        with refuses(f"unknown resource '{missing}'"):
            edits.delete_resource(shop, missing)


# ---------------------------------------------------------------- scale


def test_the_editing_core_is_headless_and_never_derives() -> None:
    loaded = modules_loaded_by("import model.edits, model.history, model.capture")
    assert not {name for name in loaded if name.split(".")[0] in {"textual", "tui", "exports", "networkx"}}


def test_every_kind_of_edit_keeps_a_10000_event_session_sound() -> None:
    contexts = tuple(Context(id=f"c{number}") for number in range(20))
    events = tuple(Event(name=f"Thing {number} Happened", context=f"c{number % 20}") for number in range(10_000))
    policies = tuple(Policy(when=event.name, then="React", context="c1") for event in events[::5])
    hotspots = tuple(Hotspot(text="?", about=event.name) for event in events[::50])
    big = Session(name="Big", app="big", contexts=contexts, events=events, policies=policies, hotspots=hotspots)
    gestures: list[Callable[[Session], Session]] = [
        lambda s: edits.add_event(s, Event(name="New Happened", context="c3"), 5000),
        lambda s: edits.update_event(s, 5000, Event(name="Renamed Happened")),
        lambda s: edits.delete_events(s, range(100, 200)),
        lambda s: edits.move_event(s, 0, 9000),
        lambda s: edits.assign(s, range(1000), "c2"),
        lambda s: edits.update_context(s, "c1", Context(id="renamed")),
        lambda s: edits.delete_context(s, "c2"),
        lambda s: edits.add_policy(s, Policy(when="Thing 9999 Happened", then="Other", context="c3")),
        lambda s: edits.add_hotspot(s, Hotspot(text="?", about="Thing 1 Happened")),
    ]
    session = big
    for gesture in gestures:  # speed is measured by the benchmarks, not asserted here
        session = gesture(session)
    assert list(reference_errors(session)) == []


# ---------------------------------------------------------------- any sequence of edits


def mostly(known: Sequence[T], other: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Usually one of `known` (when there is any), sometimes `other`: most edits succeed, some are refused."""
    return st.integers(0, 3).flatmap(lambda choice: st.sampled_from(known) if known and choice else other)


@st.composite
def random_edits(draw: st.DrawFn, session: Session) -> Session:
    """One random edit of `session`, its arguments sometimes wrong on purpose (then nothing changes)."""
    context_ids = [context.id for context in session.contexts]
    resource_ids = [EVENT_BUS, *(resource.id for resource in session.infrastructure)]
    context_id = draw(mostly(context_ids, st.just(PLATFORM) | slugs))
    name = draw(mostly([event.name for event in session.events], texts))

    def at(records: tuple[object, ...]) -> int:
        return draw(mostly(list(range(len(records))), st.sampled_from([-1, len(records)])))

    def event() -> Event:
        return Event(name=draw(st.just(name) | texts), context=draw(st.none() | mostly(context_ids, slugs)))

    def hotspot() -> Hotspot:
        return Hotspot(text=draw(texts), about=draw(st.none() | st.just(name)))

    def context() -> Context:
        return Context(id=draw(st.just(context_id) | slugs), uses=draw(st.sets(mostly(resource_ids, slugs)).map(tuple)))

    steps = [
        lambda: edits.add_event(session, event(), draw(st.none() | st.integers(-2, len(session.events)))),
        lambda: edits.update_event(session, at(session.events), event()),
        lambda: edits.delete_events(session, [at(session.events) for _ in range(draw(st.integers(0, 3)))]),
        lambda: edits.move_event(session, at(session.events), at(session.events)),
        lambda: edits.assign(
            session, [at(session.events) for _ in range(draw(st.integers(0, 3)))], draw(st.none() | st.just(context_id))
        ),
        lambda: edits.ensure_context(session, draw(st.sampled_from([context_id, "Bad Id"])))[0],
        lambda: edits.add_context(session, context()),
        lambda: edits.rename_context(session, context_id, draw(st.none() | texts)),
        lambda: edits.update_context(session, context_id, context()),
        lambda: edits.delete_context(session, context_id),
        lambda: edits.add_policy(session, Policy(when=name, then=draw(texts), context=context_id)),
        lambda: edits.delete_policy(session, at(session.policies)),
        lambda: edits.add_hotspot(session, hotspot()),
        lambda: edits.update_hotspot(session, at(session.hotspots), hotspot()),
        lambda: edits.delete_hotspot(session, at(session.hotspots)),
        lambda: edits.add_resource(session, Resource(id=draw(slugs), kind="bucket", owner=context_id)),
        lambda: edits.delete_resource(session, draw(mostly(resource_ids[1:], st.just(EVENT_BUS) | slugs))),
    ]
    try:
        return draw(st.sampled_from(steps))()
    except EditError:
        return session


def dump_without_caches(session: Session) -> str:
    sessionfile._section_texts.clear()
    sessionfile._record_texts.clear()
    return dump_session(session)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sessions(), st.data())
def test_any_sequence_of_edits_keeps_a_session_sound(session: Session, data: st.DataObject) -> None:
    dump_session(session)
    for _ in range(data.draw(st.integers(1, 12))):
        session = data.draw(random_edits(session))
        assert list(reference_errors(session)) == []
        # After an edit the serializer writes only what changed; it must give the whole text.
        assert dump_session(session) == dump_without_caches(session)
    assert parse_session(dump_session(session).encode("utf-8")) == session
