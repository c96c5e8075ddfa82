"""Invariants of the derivation and the file format over generated sessions."""

from __future__ import annotations

from typing import get_args

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import edits, sessionfile
from model.derive import derive
from model.session import (
    EVENT_BUS,
    PLATFORM,
    Context,
    Event,
    FieldType,
    Hotspot,
    Policy,
    Resource,
    ResourceKind,
    Session,
    name_key,
    reference_errors,
)
from model.sessionfile import dump_session, parse_session

slugs = st.from_regex(r"[a-z][a-z0-9-]{0,11}", fullmatch=True).filter(lambda slug: slug not in (PLATFORM, EVENT_BUS))
texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(lambda text: text.strip())
optional_texts = st.none() | texts
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(codec="utf-8"), max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
extensions = st.dictionaries(st.from_regex(r"x-[a-z]{1,8}", fullmatch=True), json_values, max_size=2)


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    context_ids = draw(st.lists(slugs, unique=True, max_size=6))
    resource_ids = draw(st.lists(slugs, unique=True, max_size=4))
    resources = tuple(
        Resource(
            id=resource_id,
            kind=draw(st.sampled_from([kind for kind in get_args(ResourceKind) if kind != "event-bus"])),
            owner=draw(st.sampled_from([PLATFORM, *context_ids])),
        )
        for resource_id in resource_ids
    )
    contexts = tuple(
        Context(
            id=context_id,
            name=draw(optional_texts),
            owner=draw(optional_texts),
            uses=tuple(draw(st.lists(st.sampled_from([EVENT_BUS, *resource_ids]), unique=True, max_size=3))),
            **draw(extensions),
        )
        for context_id in context_ids
    )
    names = draw(st.lists(texts, unique_by=name_key, max_size=12))
    events = tuple(
        Event(
            name=name,
            context=draw(st.none() | st.sampled_from(context_ids)) if context_ids else None,
            command=draw(optional_texts),
            pivotal=draw(st.booleans()),
            fields=draw(st.none() | st.dictionaries(texts, st.sampled_from(get_args(FieldType)), max_size=3)),
            notes=draw(st.none() | st.text(st.characters(codec="utf-8"), max_size=40)),
            **draw(extensions),
        )
        for name in names
    )
    policies: tuple[Policy, ...] = ()
    if names and context_ids:
        policies = tuple(
            Policy(when=draw(st.sampled_from(names)), then=draw(texts), context=draw(st.sampled_from(context_ids)))
            for _ in range(draw(st.integers(0, 10)))
        )
    hotspots = tuple(
        Hotspot(text=draw(texts), about=draw(st.none() | st.sampled_from(names)) if names else None)
        for _ in range(draw(st.integers(0, 2)))
    )
    return Session(
        name=draw(texts),
        app=draw(slugs),
        description=draw(optional_texts),
        contexts=contexts,
        events=events,
        policies=policies,
        infrastructure=resources,
        hotspots=hotspots,
        **draw(extensions),
    )


# One edit of a generated session: what kind, and a number that picks where and what.
edit_steps = st.lists(
    st.tuples(st.sampled_from(["add", "delete", "move", "assign", "rename"]), st.integers(0, 50)), max_size=15
)


def edited(current: Session, kind: str, number: int, tag: int) -> Session | None:
    """`current` after one generated edit (`tag` keeps added names unique), or None when the edit is refused."""
    count = len(current.events)
    try:
        if kind == "add":
            return edits.add_event(current, Event(name=f"Generated {number} {tag}"), number % (count + 1) - 1)
        if kind == "delete" and count:
            return edits.delete_events(current, [number % count])
        if kind == "move" and count:
            return edits.move_event(current, number % count, (number * 7) % count)
        if kind == "assign" and count:
            context = current.contexts[number % len(current.contexts)].id if current.contexts else None
            return edits.assign(current, [number % count], context)
    except edits.EditError:
        return None
    return current.model_copy(update={"name": f"Renamed {number}"})


common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(sessions())
def test_generated_sessions_are_structurally_sound(session: Session) -> None:
    assert list(reference_errors(session)) == []


@common
@given(sessions())
def test_save_load_round_trip_is_lossless(session: Session) -> None:
    text = dump_session(session)
    loaded = parse_session(text.encode("utf-8"), "generated.yaml")
    assert loaded == session
    assert dump_session(loaded) == text


@common
@given(sessions())
def test_the_fast_loader_reads_what_the_strict_loader_reads(session: Session) -> None:
    text = dump_session(session)
    fast = sessionfile._plain_session(text)
    assert fast is not None  # a file portstorm wrote is plain
    anchored = text.replace("name: ", "name: &first ", 1)  # an anchor: only the strict loader takes it
    assert sessionfile._plain_session(anchored) is None
    assert fast == parse_session(anchored.encode("utf-8"), "anchored.yaml")


@common
@given(sessions())
def test_no_service_requires_its_own_port(session: Session) -> None:
    for service in derive(session).services:
        assert all(port.provider != service.id for port in service.requires)


@common
@given(sessions())
def test_every_flow_participant_requires_the_bus(session: Session) -> None:
    architecture = derive(session)
    for flow in architecture.flows:
        for service_id in (flow.producer, flow.consumer):
            assert EVENT_BUS in [port.port for port in architecture.service(service_id).requires]


@common
@given(sessions())
def test_waves_respect_every_deploy_edge(session: Session) -> None:
    architecture = derive(session)
    if not architecture.deploy_waves:
        assert any(problem.rule == "deploy-cycle" for problem in architecture.problems)
        return
    assert sorted(service for wave in architecture.deploy_waves for service in wave) == sorted(
        service.id for service in architecture.services
    )
    for edge in architecture.deploy_edges:
        assert architecture.wave_of(edge.provider) < architecture.wave_of(edge.consumer)  # type: ignore[operator]


@common
@given(sessions())
def test_flows_never_add_deploy_edges(session: Session) -> None:
    owners = {resource.id: resource.owner for resource in session.infrastructure}
    uses = {context.id: context.uses for context in session.contexts}
    architecture = derive(session)
    for edge in architecture.deploy_edges:
        for port in edge.ports:
            by_bus = port == EVENT_BUS and edge.provider == PLATFORM
            assert by_bus or (port in uses[edge.consumer] and owners[port] == edge.provider)
    without_policies = derive(session.model_copy(update={"policies": ()}))
    assert {edge for edge in architecture.deploy_edges if edge.provider != PLATFORM} == {
        edge for edge in without_policies.deploy_edges if edge.provider != PLATFORM
    }
