"""AsyncAPI: the real parser accepts every document, and each one is the service's side of the plan."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from exports.asyncapi import render_asyncapi
from exports.bundle import export
from exports.context import ExportContext
from model.derive import Architecture, derive
from model.session import Session
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session, session_from
from tests.validators import check_asyncapi

SESSIONS = {
    "ecommerce": lambda: load_session(SAMPLES / "ecommerce.yaml"),
    "back-office": lambda: load_session(SAMPLES / "back-office.yaml"),
    "hostile": hostile_session,
}


def keyword_session() -> Session:
    """Field names that schema tools read as keywords: a `$ref` property crashes the parser."""
    return session_from(
        """
        portstorm: 1
        name: Keywords
        app: keywords
        contexts: [{id: a}, {id: b}]
        events:
        - {name: Thing Done, context: a, fields: {$ref: string, $id: integer, plain: object}}
        - {name: Other Done, context: a}
        policies:
        - {when: Thing Done, then: React, context: b}
        - {when: Other Done, then: React, context: b}
        """
    )


KEY = re.compile(r"^[a-zA-Z0-9\.\-_]+$")


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, tuple[Session, Architecture, Path]]:
    """Every session exported once, so the parser runs once over all documents."""
    folders = {}
    for name, make in {**SESSIONS, "keywords": keyword_session}.items():
        session = make()
        folder = tmp_path_factory.mktemp(name) / "export"
        export(session, folder, ["asyncapi"])
        folders[name] = (session, derive(session), folder / "asyncapi")
    return folders


def documents(folder: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.yaml"))}


def messages_of(document: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """The messages of every operation with this action, found by following the `$ref`s."""
    return [
        resolve(document, resolve(document, reference))
        for operation in document["operations"].values()
        if operation["action"] == action
        for reference in operation["messages"]
    ]


def resolve(document: dict[str, Any], reference: dict[str, str]) -> Any:
    """What a local `{"$ref": "#/..."}` points to."""
    pointer = reference["$ref"]
    assert pointer.startswith("#/"), pointer
    node: Any = document
    for part in pointer[2:].split("/"):
        node = node[part]
    return node


def test_the_asyncapi_parser_accepts_every_document(exported) -> None:
    check_asyncapi([path for _session, _architecture, folder in exported.values() for path in folder.glob("*.yaml")])


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_one_document_per_service_on_the_bus(exported, name) -> None:
    session, architecture, folder = exported[name]
    on_bus = {service.id for service in architecture.services if service.publishes or service.subscribes}
    assert set(documents(folder)) == on_bus
    for service_id, document in documents(folder).items():
        assert document["asyncapi"] == "3.0.0"
        assert document["info"]["title"] == architecture.service(service_id).name
        assert document["info"]["version"] == "1.0.0"
        assert "portstorm" in document["info"]["description"]
        assert document["defaultContentType"] == "application/json"
        ((_key, channel),) = document["channels"].items()
        assert channel["address"] == f"{session.app}-dev"


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_sends_and_receives_are_the_plan(exported, name) -> None:
    session, architecture, folder = exported[name]
    for service_id, document in documents(folder).items():
        service = architecture.service(service_id)
        sent = messages_of(document, "send")
        assert [message["title"] for message in sent] == list(service.publishes)
        assert all(message["payload"]["properties"]["source"]["const"] == service.source for message in sent)
        received = [
            (message["title"], message["payload"]["properties"]["source"]["const"])
            for message in messages_of(document, "receive")
        ]
        assert received == [(item.event, f"{session.app}.{item.producer}") for item in service.subscribes]
        for operation in document["operations"].values():
            assert resolve(document, operation["channel"]) is next(iter(document["channels"].values()))
            if operation["action"] == "receive":  # names the producer
                (reference,) = operation["messages"]
                source = resolve(document, resolve(document, reference))["payload"]["properties"]["source"]
                assert operation["summary"].endswith(f", from {source['const'].removeprefix(session.app + '.')}")


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_each_payload_is_the_eventbridge_envelope(exported, name) -> None:
    session, _architecture, folder = exported[name]
    events = {event.name: event for event in session.events}
    for document in documents(folder).values():
        messages = document["components"]["messages"]
        channel_messages = next(iter(document["channels"].values()))["messages"]
        assert {key: item["$ref"] for key, item in channel_messages.items()} == {
            key: f"#/components/messages/{key}" for key in messages
        }
        for key, message in messages.items():
            assert KEY.match(key), key
            assert message["name"] == message["title"]
            envelope = message["payload"]
            assert envelope["required"] == ["source", "detail-type", "detail"]
            assert envelope["properties"]["detail-type"]["const"] == message["title"]
            detail = envelope["properties"]["detail"]
            assert detail["type"] == "object"
            fields = events[message["title"]].fields or {}
            assert {field: spec["type"] for field, spec in detail.get("properties", {}).items()} == fields
        for key in document["operations"]:
            assert KEY.match(key), key


def test_a_field_named_ref_is_matched_not_followed(exported) -> None:
    _session, _architecture, folder = exported["keywords"]
    document = documents(folder)["a"]
    detail = document["components"]["messages"]["ThingDone"]["payload"]["properties"]["detail"]
    assert detail["properties"] == {"$id": {"type": "integer"}, "plain": {"type": "object"}}
    ((pattern, spec),) = detail["patternProperties"].items()
    assert spec == {"type": "string"}
    assert [name for name in ("$ref", "$refs", "x$ref", "ref", "$id") if re.search(pattern, name)] == ["$ref"]
    assert document["components"]["messages"]["OtherDone"]["payload"]["properties"]["detail"] == {"type": "object"}


def test_the_same_session_gives_the_same_bytes(exported) -> None:
    _session, _architecture, folder = exported["hostile"]
    again = render_asyncapi(ExportContext(hostile_session(), derive(hostile_session())))
    assert again == {f"asyncapi/{path.name}": path.read_text(encoding="utf-8") for path in folder.glob("*.yaml")}
