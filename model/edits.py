"""Editing a session: one small pure function per gesture of the workshop app.

Each function returns a new Session that shares every record it did not change, or
raises EditError with a one-line message for the facilitator. A structurally sound
session stays sound (`reference_errors` finds nothing), yet nothing here derives or
revalidates the whole session: one edit is at most one pass over a 10,000-event
timeline, so typing stays instant. Records that are not edited are kept as they are,
so their `x-` keys survive; an edited record keeps the `x-` keys the caller's
replacement does not set.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from model.session import (
    EVENT_BUS,
    ID_MAX_LENGTH,
    PLATFORM,
    Context,
    Event,
    Hotspot,
    Policy,
    Record,
    Resource,
    Session,
    did_you_mean,
    is_slug,
    name_key,
)

R = TypeVar("R", bound=Record)


class EditError(Exception):
    """An edit that would make the session invalid; the message says why, in one line."""


# ---------------------------------------------------------------- events


def event_index(session: Session, name: str) -> int | None:
    """Where the event called `name` (ignoring case and surrounding spaces) is on the timeline."""
    key = name_key(name)
    return next((index for index, event in enumerate(session.events) if name_key(event.name) == key), None)


def add_event(session: Session, event: Event, after: int | None = None) -> Session:
    """Insert `event` after position `after` (-1: first; None: last)."""
    _check_event(session, event)
    position = len(session.events) if after is None else _insertion_point(after, len(session.events))
    events = (*session.events[:position], event, *session.events[position:])
    _remember_names(events, _names_of(session.events) | {name_key(event.name)})
    return session.model_copy(update={"events": events})


def update_event(session: Session, index: int, event: Event) -> Session:
    """Replace the event at `index`; policies and hotspots about it follow a new name."""
    old = _at(session.events, index, "event")
    _check_event(session, event, skip=index)
    new = _keep_extensions(old, event)
    update: dict[str, Any] = {"events": _replaced(session.events, index, new)}
    if new.name != old.name:
        key = name_key(old.name)
        update["policies"] = _set_where(session.policies, "when", new.name, lambda p: name_key(p.when) == key)
        update["hotspots"] = _set_where(session.hotspots, "about", new.name, lambda h: _about_in(h, {key}))
    return session.model_copy(update=update)


def delete_events(session: Session, indices: Iterable[int]) -> Session:
    """Remove events and the policies reacting to them; hotspots about them stay, about nothing."""
    doomed = set(indices)
    keys = {name_key(_at(session.events, index, "event").name) for index in doomed}
    return session.model_copy(
        update={
            "events": tuple(event for index, event in enumerate(session.events) if index not in doomed),
            "policies": tuple(policy for policy in session.policies if name_key(policy.when) not in keys),
            "hotspots": _set_where(session.hotspots, "about", None, lambda h: _about_in(h, keys)),
        }
    )


def move_event(session: Session, index: int, to: int) -> Session:
    """Reorder the timeline: the event at `index` ends up at position `to`."""
    event = _at(session.events, index, "event")
    _at(session.events, to, "event")
    events = list(session.events)
    del events[index]
    events.insert(to, event)
    return session.model_copy(update={"events": tuple(events)})


def assign(session: Session, indices: Iterable[int], context_id: str | None) -> Session:
    """Put several events into one context, or take them out of any (None)."""
    if context_id is not None:
        _context_position(session, context_id)
    chosen = set(indices)
    for index in chosen:
        _at(session.events, index, "event")
    events = tuple(
        event.model_copy(update={"context": context_id}) if index in chosen and event.context != context_id else event
        for index, event in enumerate(session.events)
    )
    return session.model_copy(update={"events": events})


def _check_event(session: Session, event: Event, skip: int | None = None) -> None:
    key = name_key(event.name)
    if key in _names_of(session.events):
        for index, other in enumerate(session.events):
            if index != skip and name_key(other.name) == key:
                raise EditError(f"there is already an event {other.name!r} (number {index + 1} on the timeline)")
    if event.context is not None:
        _context_position(session, event.context)


# The event names of the latest timeline, so that adding one event to 10,000 does not
# look at every name again: quick capture adds events one after another.
_names: tuple[tuple[Event, ...], set[str]] = ((), set())


def _names_of(events: tuple[Event, ...]) -> set[str]:
    known_events, names = _names
    if known_events is not events:
        names = {name_key(event.name) for event in events}
        _remember_names(events, names)
    return names


def _remember_names(events: tuple[Event, ...], names: set[str]) -> None:
    global _names  # noqa: PLW0603 - one cache entry, replaced whole (readers in other threads see old or new)
    _names = (events, names)


def _insertion_point(after: int, count: int) -> int:
    if not -1 <= after < count:
        raise EditError(f"cannot insert after position {after}: the timeline has {count} events")
    return after + 1


def _event_named(session: Session, name: str) -> Event:
    index = event_index(session, name)
    if index is None:
        raise EditError(f"unknown event {name!r}{did_you_mean(name, [event.name for event in session.events])}")
    return session.events[index]


def _about_in(hotspot: Hotspot, keys: set[str]) -> bool:
    return hotspot.about is not None and name_key(hotspot.about) in keys


# ---------------------------------------------------------------- contexts


def suggest_slug(text: str) -> str | None:
    """The id someone most likely meant by `text` ('Order Service' -> 'order-service'), if any."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).lstrip("-0123456789")
    slug = slug[:ID_MAX_LENGTH].rstrip("-")
    return slug if is_slug(slug) else None


def add_context(session: Session, context: Context) -> Session:
    """Add a bounded context at the end."""
    _check_context(session, context)
    return session.model_copy(update={"contexts": (*session.contexts, context)})


def ensure_context(session: Session, context_id: str) -> tuple[Session, bool]:
    """The session with context `context_id`, created if missing; and whether it was created."""
    if any(context.id == context_id for context in session.contexts):
        return session, False
    _check_context_id(session, context_id)
    return add_context(session, Context(id=context_id)), True


def rename_context(session: Session, context_id: str, name: str | None) -> Session:
    """Set the display name of a context; None or blank clears it (the id is shown instead)."""
    index = _context_position(session, context_id)
    renamed = session.contexts[index].model_copy(update={"name": name if name and name.strip() else None})
    return session.model_copy(update={"contexts": _replaced(session.contexts, index, renamed)})


def update_context(session: Session, context_id: str, context: Context) -> Session:
    """Replace a context; a new id is followed by its events, policies and resources."""
    index = _context_position(session, context_id)
    _check_context(session, context, skip=index)
    new = _keep_extensions(session.contexts[index], context)
    update: dict[str, Any] = {"contexts": _replaced(session.contexts, index, new)}
    if new.id != context_id:
        update |= _context_references(session, context_id, new.id)
    return session.model_copy(update=update)


def delete_context(session: Session, context_id: str) -> Session:
    """Remove a context, never its events: they become unsorted, its resources go to the platform.

    Its policies go with it (nobody is left to run them); no context's `uses` changes.
    """
    index = _context_position(session, context_id)
    update = _context_references(session, context_id, None)
    update["contexts"] = _without(session.contexts, index)
    update["policies"] = tuple(policy for policy in session.policies if policy.context != context_id)
    return session.model_copy(update=update)


def _context_references(session: Session, old: str, new: str | None) -> dict[str, Any]:
    """Events, policies and resource owners pointing at context `old`, pointed at `new`."""
    return {
        "events": _set_where(session.events, "context", new, lambda e: e.context == old),
        "policies": _set_where(session.policies, "context", new, lambda p: p.context == old),
        "infrastructure": _set_where(session.infrastructure, "owner", new or PLATFORM, lambda r: r.owner == old),
    }


def _check_context(session: Session, context: Context, skip: int | None = None) -> None:
    _check_context_id(session, context.id, skip)
    resource_ids = [EVENT_BUS, *(resource.id for resource in session.infrastructure)]
    for resource_id in context.uses:
        if resource_id not in resource_ids:
            raise EditError(f"unknown resource {resource_id!r}{did_you_mean(resource_id, resource_ids)}")


def _check_context_id(session: Session, context_id: str, skip: int | None = None) -> None:
    if context_id == PLATFORM:
        raise EditError(f"{PLATFORM!r} is reserved for the shared infrastructure: choose another id")
    if not is_slug(context_id):
        suggestion = suggest_slug(context_id)
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        raise EditError(f"{context_id!r} is not a context id: use lowercase letters, digits and '-'{hint}")
    if any(index != skip and context.id == context_id for index, context in enumerate(session.contexts)):
        raise EditError(f"there is already a context {context_id!r}")


def _context_position(session: Session, context_id: str) -> int:
    ids = [context.id for context in session.contexts]
    if context_id not in ids:
        raise EditError(f"unknown context {context_id!r}{did_you_mean(context_id, ids)}")
    return ids.index(context_id)


# ---------------------------------------------------------------- policies and hotspots


def add_policy(session: Session, policy: Policy) -> Session:
    """Add "whenever `when`, `context` runs `then`"; `when` takes the event's own spelling."""
    event = _event_named(session, policy.when)
    _context_position(session, policy.context)
    policy = policy.model_copy(update={"when": event.name})
    if any(_policy_key(other) == _policy_key(policy) for other in session.policies):
        raise EditError(f"{policy.context} already runs {policy.then!r} whenever {event.name!r}")
    return session.model_copy(update={"policies": (*session.policies, policy)})


def delete_policy(session: Session, index: int) -> Session:
    """Remove one policy."""
    _at(session.policies, index, "policy")
    return session.model_copy(update={"policies": _without(session.policies, index)})


def add_hotspot(session: Session, hotspot: Hotspot) -> Session:
    """Add an open question, about an event or about nothing in particular."""
    hotspot = _about_checked(session, hotspot)
    return session.model_copy(update={"hotspots": (*session.hotspots, hotspot)})


def update_hotspot(session: Session, index: int, hotspot: Hotspot) -> Session:
    """Replace a hotspot (for instance to mark it resolved)."""
    new = _keep_extensions(_at(session.hotspots, index, "hotspot"), _about_checked(session, hotspot))
    return session.model_copy(update={"hotspots": _replaced(session.hotspots, index, new)})


def delete_hotspot(session: Session, index: int) -> Session:
    """Remove one hotspot."""
    _at(session.hotspots, index, "hotspot")
    return session.model_copy(update={"hotspots": _without(session.hotspots, index)})


def _policy_key(policy: Policy) -> tuple[str, str, str]:
    """Two policies with the same key say the same thing, whatever their case and spacing."""
    return name_key(policy.when), policy.context, name_key(policy.then)


def _about_checked(session: Session, hotspot: Hotspot) -> Hotspot:
    """The hotspot with `about` spelled as its event is, or EditError if there is no such event."""
    if hotspot.about is None:
        return hotspot
    return hotspot.model_copy(update={"about": _event_named(session, hotspot.about).name})


# ---------------------------------------------------------------- infrastructure


def add_resource(session: Session, resource: Resource) -> Session:
    """Add a shared resource, owned by the platform or by a context."""
    if resource.id == EVENT_BUS:
        raise EditError(f"{EVENT_BUS!r} is implicit: the platform always owns the bus")
    if any(other.id == resource.id for other in session.infrastructure):
        raise EditError(f"there is already a resource {resource.id!r}")
    if resource.owner != PLATFORM:
        _context_position(session, resource.owner)
    return session.model_copy(update={"infrastructure": (*session.infrastructure, resource)})


def delete_resource(session: Session, resource_id: str) -> Session:
    """Remove a resource and every context's use of it."""
    ids = [resource.id for resource in session.infrastructure]
    if resource_id not in ids:
        raise EditError(f"unknown resource {resource_id!r}{did_you_mean(resource_id, ids)}")
    contexts = tuple(
        context.model_copy(update={"uses": tuple(used for used in context.uses if used != resource_id)})
        if resource_id in context.uses
        else context
        for context in session.contexts
    )
    infrastructure = _without(session.infrastructure, ids.index(resource_id))
    return session.model_copy(update={"contexts": contexts, "infrastructure": infrastructure})


# ---------------------------------------------------------------- tuples of records


def _at(records: tuple[R, ...], index: int, kind: str) -> R:
    """The record at `index`, or EditError: positions come from the app and may be stale."""
    if not 0 <= index < len(records):
        raise EditError(f"there is no {kind} at position {index} (there are {len(records)})")
    return records[index]


def _replaced(records: tuple[R, ...], index: int, record: R) -> tuple[R, ...]:
    return (*records[:index], record, *records[index + 1 :])


def _without(records: tuple[R, ...], index: int) -> tuple[R, ...]:
    return (*records[:index], *records[index + 1 :])


def _set_where(records: tuple[R, ...], field: str, value: object, where: Callable[[R], bool]) -> tuple[R, ...]:
    """Copies with `field` set to `value` of the records that match; the others shared as they are."""
    return tuple(record.model_copy(update={field: value}) if where(record) else record for record in records)


def _keep_extensions(old: R, new: R) -> R:
    """`new`, plus the `x-` keys of `old` it does not set itself: a form that never shows them keeps them."""
    own = new.model_extra or {}
    kept = {key: value for key, value in old.extensions.items() if key not in own}
    return new.model_copy(update=kept) if kept else new
