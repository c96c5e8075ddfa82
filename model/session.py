"""The workshop record: what the room said, as plain frozen pydantic models.

A session holds only what people typed. Services, ports, flows and deploy waves are
derived from it (see `model.derive`) and never stored in it.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

FORMAT_VERSION: Literal[1] = 1
"""The session file format this portstorm reads and writes."""

PLATFORM = "platform"
"""The reserved service id that owns the shared infrastructure."""

EVENT_BUS = "event-bus"
"""The implicit resource id of the EventBridge bus, always owned by the platform."""

APP_MAX_LENGTH = 24
ID_MAX_LENGTH = 40
# Both limits keep derived AWS names (queues, stacks, parameters) within AWS's own limits.

_SLUG = re.compile(r"[a-z][a-z0-9-]*")

ResourceKind = Literal["event-bus", "user-pool", "bucket", "table", "queue", "topic", "secret"]
FieldType = Literal["string", "number", "integer", "boolean", "array", "object", "null"]


def _slug_checker(max_length: int) -> AfterValidator:
    def check(value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a valid id: use lowercase letters, digits and '-', starting with a letter"
            )
        if len(value) > max_length:
            raise ValueError(f"{value!r} is longer than {max_length} characters")
        return value

    return AfterValidator(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Slug = Annotated[str, _slug_checker(ID_MAX_LENGTH)]
AppSlug = Annotated[str, _slug_checker(APP_MAX_LENGTH)]
Text = Annotated[str, AfterValidator(_not_blank)]


def name_key(name: str) -> str:
    """The identity of an event name: unique ignoring case and surrounding spaces."""
    return name.strip().casefold()


def shared_ends(old: tuple[object, ...], new: tuple[object, ...]) -> tuple[int, int]:
    """How many records two versions of a section share (the very objects) at the start, then at the end.

    Sessions are immutable and an edit keeps every record it did not change, so this is
    where an edit happened, found at C speed (operator.indexOf stops at the first difference).
    """
    shortest = min(len(old), len(new))
    try:
        head = operator.indexOf(map(operator.is_, old, new), False)
    except ValueError:
        head = shortest
    try:
        tail = operator.indexOf(map(operator.is_, reversed(old), reversed(new)), False)
    except ValueError:
        tail = shortest
    return head, min(tail, shortest - head)


def is_slug(value: str) -> bool:
    """Whether `value` is usable as a context or resource id."""
    return bool(_SLUG.fullmatch(value)) and len(value) <= ID_MAX_LENGTH


class Record(BaseModel):
    """Base of every part of a session.

    Extra keys are allowed by pydantic so that `x-` keys survive a load and a save;
    the loader rejects every other unknown key with its line and column.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    @property
    def extensions(self) -> dict[str, Any]:
        """The `x-` keys kept from the file, in their original order."""
        return dict(self.model_extra or {})


class Context(Record):
    """A bounded context; each becomes one deployable service."""

    id: Slug
    name: Text | None = None
    owner: Text | None = None
    uses: tuple[Slug, ...] = ()
    """Shared infrastructure this service needs besides the bus."""

    @property
    def title(self) -> str:
        return self.name or self.id


class Event(Record):
    """A domain event: a fact in the past tense, in timeline order."""

    name: Text
    context: Slug | None = None
    command: Text | None = None
    actor: Text | None = None
    aggregate: Text | None = None
    pivotal: bool = False
    fields: dict[Annotated[str, AfterValidator(_not_blank)], FieldType] | None = None
    """The payload schema: field name to JSON-schema type name."""
    notes: str | None = None


class Policy(Record):
    """A reaction: whenever `when` happens, `context` runs `then`."""

    when: Text
    then: Text
    context: Slug


class Resource(Record):
    """Shared infrastructure a service may need: a port."""

    id: Slug
    kind: ResourceKind
    owner: Slug = PLATFORM


class Hotspot(Record):
    """An open question or risk raised in the room."""

    text: Text
    about: Text | None = None
    resolved: bool = False


class Session(Record):
    """The whole workshop record, as saved in one YAML file."""

    portstorm: Literal[1] = FORMAT_VERSION
    name: Text
    app: AppSlug
    description: str | None = None
    contexts: tuple[Context, ...] = ()
    events: tuple[Event, ...] = ()
    policies: tuple[Policy, ...] = ()
    infrastructure: tuple[Resource, ...] = ()
    hotspots: tuple[Hotspot, ...] = ()


Path = tuple[str | int, ...]
"""Where a value sits in the session, e.g. ("events", 3, "context")."""


def did_you_mean(value: str, candidates: list[str]) -> str:
    """A ' (did you mean ...?)' suffix naming the closest candidate, or ''."""
    by_key = {candidate.casefold(): candidate for candidate in candidates}
    close = difflib.get_close_matches(value.casefold(), list(by_key), n=1, cutoff=0.6)
    return f" (did you mean {by_key[close[0]]!r}?)" if close else ""


def reference_errors(session: Session) -> Iterator[tuple[Path, str]]:
    """Every broken reference, duplicate or reserved name, with where it is.

    A session without these errors is structurally sound: every name it uses exists.
    """
    contexts = _first_index(
        ("contexts", index, "id", context.id, context.id) for index, context in enumerate(session.contexts)
    )
    resources = _first_index(
        ("infrastructure", index, "id", resource.id, resource.id)
        for index, resource in enumerate(session.infrastructure)
    )
    events = _first_index(
        ("events", index, "name", name_key(event.name), event.name) for index, event in enumerate(session.events)
    )
    yield from contexts.errors
    yield from resources.errors
    yield from events.errors
    context_ids = [*contexts.first]
    resource_ids = [EVENT_BUS, *resources.first]

    for index, context in enumerate(session.contexts):
        if context.id == PLATFORM:
            yield ("contexts", index, "id"), f"{PLATFORM!r} is reserved for the shared infrastructure"
        for position, resource_id in enumerate(context.uses):
            if resource_id not in resource_ids:
                yield ("contexts", index, "uses", position), _unknown("resource", resource_id, resource_ids)
    for index, resource in enumerate(session.infrastructure):
        if resource.id == EVENT_BUS:
            yield ("infrastructure", index, "id"), f"{EVENT_BUS!r} is implicit: the platform always owns the bus"
        if resource.owner != PLATFORM and resource.owner not in contexts.first:
            yield ("infrastructure", index, "owner"), _unknown("context", resource.owner, context_ids)
    yield from _event_references(session, contexts.first, events.first)


def _event_references(session: Session, contexts: dict[str, int], events: dict[str, int]) -> Iterator[tuple[Path, str]]:
    """Broken references to contexts and events from events, policies and hotspots."""
    context_ids = [*contexts]
    event_names = [event.name for event in session.events]
    for index, event in enumerate(session.events):
        if event.context is not None and event.context not in contexts:
            yield ("events", index, "context"), _unknown("context", event.context, context_ids)
    for index, policy in enumerate(session.policies):
        if name_key(policy.when) not in events:
            yield ("policies", index, "when"), _unknown("event", policy.when, event_names)
        if policy.context not in contexts:
            yield ("policies", index, "context"), _unknown("context", policy.context, context_ids)
    for index, hotspot in enumerate(session.hotspots):
        if hotspot.about is not None and name_key(hotspot.about) not in events:
            yield ("hotspots", index, "about"), _unknown("event", hotspot.about, event_names)


@dataclass
class _Index:
    first: dict[str, int]
    errors: list[tuple[Path, str]]


def _first_index(entries: Iterable[tuple[str, int, str, str, str]]) -> _Index:
    """Where each key first appears, and an error for each repetition."""
    index = _Index({}, [])
    kinds = {"contexts": "context id", "infrastructure": "resource id", "events": "event"}
    for section, position, field, key, written in entries:
        if key in index.first:
            first = index.first[key]
            message = f"duplicate {kinds[section]} {written!r} (first at {section}[{first}])"
            index.errors.append(((section, position, field), message))
        else:
            index.first[key] = position
    return index


def _unknown(kind: str, value: str, known: list[str]) -> str:
    return f"unknown {kind} {value!r}{did_you_mean(value, known)}"
