"""Shared helpers for the test suite."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from model.session import Session
from model.sessionfile import parse_session

pytest_plugins = ["tests.moto_cloud"]  # the `cloud` fixture: moto on 127.0.0.1

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_sessions"


def session_from(text: str) -> Session:
    """A session from YAML text written inline in a test (dedented)."""
    return parse_session(textwrap.dedent(text).encode("utf-8"), "test.yaml")


@pytest.fixture
def write_session(tmp_path: Path):
    """Write dedented YAML text (or raw bytes) to a file and return its path."""

    def write(content: str | bytes, name: str = "shop.yaml") -> Path:
        path = tmp_path / name
        data = content if isinstance(content, bytes) else textwrap.dedent(content).encode("utf-8")
        path.write_bytes(data)
        return path

    return write


HOSTILE_TEXTS = (
    'Order "Placed" [fast] {now}',
    "A --> B <-- C -.-> D ==> E",
    "<script>alert(1)</script> & <b>bold</b>",
    "#hash; %percent% @at | pipe `tick` *star* _under_",
    "line one\nline two",
    "Заказ размещён 注文が確定した",
    "emoji 🎉🚀 done",
    "${AWS::AccountId} ${self:service} ${ssm:/x}",
    "{{resolve:ssm:/x}} {{resolve:secretsmanager:x}}",
    "../../etc/passwd",
    "yes",
    "null",
    "end",
    "'single' \\backslash\\ \"double\"",
    "subgraph graph digraph node edge",
)
"""Text that breaks naive exporters: quoting, markup, template syntax, paths, YAML words."""


def hostile_session() -> Session:
    """A valid session whose every free-text field holds hostile text."""
    from model.session import Context, Event, Hotspot, Policy, Resource

    texts = HOSTILE_TEXTS
    contexts = (
        Context(id="orders", name=texts[0], owner=texts[2], uses=("pool",)),
        Context(id="payments", name=texts[5], owner=texts[7]),
        Context(id="end", name=texts[12], owner=texts[8], uses=("files",)),
    )
    events = tuple(
        Event(
            name=f"{text} Happened",
            context=contexts[index % len(contexts)].id,
            command=texts[(index + 1) % len(texts)],
            actor=texts[(index + 2) % len(texts)],
            aggregate=texts[(index + 3) % len(texts)],
            pivotal=index % 4 == 0,
            fields={texts[(index + 4) % len(texts)]: "string", "id": "string", "amount": "number"},
            notes=texts[(index + 5) % len(texts)],
        )
        for index, text in enumerate(texts)
    )
    policies = tuple(
        Policy(when=event.name, then=texts[(index + 6) % len(texts)], context=contexts[(index + 1) % 3].id)
        for index, event in enumerate(events)
    )
    return Session(
        name=texts[2],
        app="hostile",
        description=texts[8],
        contexts=contexts,
        events=events,
        policies=policies,
        infrastructure=(Resource(id="pool", kind="user-pool"), Resource(id="files", kind="bucket", owner="payments")),
        hotspots=tuple(Hotspot(text=text, about=events[index].name) for index, text in enumerate(texts[:4])),
    )
