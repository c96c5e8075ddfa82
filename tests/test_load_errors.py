"""Loading: every kind of bad file gets a located, readable error and nothing else."""

from __future__ import annotations

import os
import textwrap

import pytest

from model.sessionfile import MAX_ALIAS_VALUES, MAX_FILE_BYTES, SessionError, load_session, parse_session

HEADER = "portstorm: 1\nname: Shop\napp: shop\n"


def errors_of(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else textwrap.dedent(text).encode("utf-8")
    with pytest.raises(SessionError) as caught:
        parse_session(data, "shop.yaml")
    return [str(diagnostic) for diagnostic in caught.value.diagnostics]


def test_the_issue_example_unknown_context_with_suggestion() -> None:
    text = HEADER + "contexts:\n- id: orders\nevents:\n- name: A Happened\n  context: order\n"
    assert errors_of(text) == ["shop.yaml:8:12: events[0].context: unknown context 'order' (did you mean 'orders'?)"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "contexts:\n- id: Orders\n",
            "shop.yaml:5:7: contexts[0].id: 'Orders' is not a valid id: use lowercase letters, digits and '-', "
            "starting with a letter",
            id="bad-slug",
        ),
        pytest.param(
            "contexts:\n- id: platform\n",
            "shop.yaml:5:7: contexts[0].id: 'platform' is reserved for the shared infrastructure",
            id="reserved-id",
        ),
        pytest.param(
            "contexts:\n- id: orders\n- id: orders\n",
            "shop.yaml:6:7: contexts[1].id: duplicate context id 'orders' (first at contexts[0])",
            id="duplicate-context",
        ),
        pytest.param(
            "events:\n- name: Order Placed\n- name: '  order placed '\n",
            "shop.yaml:6:9: events[1].name: duplicate event '  order placed ' (first at events[0])",
            id="duplicate-event-ignoring-case-and-spaces",
        ),
        pytest.param(
            "events:\n- name: Order Placed\npolicies:\n- when: Order Placd\n  then: Ship\n  context: orders\n"
            "contexts:\n- id: orders\n",
            "shop.yaml:7:9: policies[0].when: unknown event 'Order Placd' (did you mean 'Order Placed'?)",
            id="policy-unknown-event",
        ),
        pytest.param(
            "events:\n- name: Order Placed\npolicies:\n- when: Order Placed\n  then: Ship\n  context: shiping\n"
            "contexts:\n- id: shipping\n",
            "shop.yaml:9:12: policies[0].context: unknown context 'shiping' (did you mean 'shipping'?)",
            id="policy-unknown-context",
        ),
        pytest.param(
            "contexts:\n- id: hr\n  uses: [user-pol]\ninfrastructure:\n- id: user-pool\n  kind: user-pool\n",
            "shop.yaml:6:10: contexts[0].uses[0]: unknown resource 'user-pol' (did you mean 'user-pool'?)",
            id="unknown-resource",
        ),
        pytest.param(
            "infrastructure:\n- id: pool\n  kind: user-pool\n  owner: finance\n",
            "shop.yaml:7:10: infrastructure[0].owner: unknown context 'finance'",
            id="unknown-owner",
        ),
        pytest.param(
            "infrastructure:\n- id: pool\n  kind: bukket\n",
            "shop.yaml:6:9: infrastructure[0].kind: expected one of event-bus, user-pool, bucket, table, queue, "
            "topic, secret; got 'bukket' (did you mean 'bucket'?)",
            id="unknown-kind",
        ),
        pytest.param(
            "infrastructure:\n- id: event-bus\n  kind: event-bus\n",
            "shop.yaml:5:7: infrastructure[0].id: 'event-bus' is implicit: the platform always owns the bus",
            id="declared-bus",
        ),
        pytest.param(
            "hotspots:\n- text: Who refunds?\n  about: Nope\n",
            "shop.yaml:6:10: hotspots[0].about: unknown event 'Nope'",
            id="hotspot-unknown-event",
        ),
        pytest.param(
            "events:\n- name: Order Placed\n  contxt: orders\n",
            "shop.yaml:6:3: events[0].contxt: unknown key 'contxt' (did you mean 'context'?); "
            "keys of your own must start with 'x-'",
            id="unknown-key-typo",
        ),
        pytest.param(
            "evnts: []\n",
            "shop.yaml:4:1: evnts: unknown key 'evnts' (did you mean 'events'?); keys of your own must start with 'x-'",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "events:\n- context: orders\n",
            "shop.yaml:5:3: events[0]: missing required key 'name'",
            id="missing-key",
        ),
        pytest.param(
            "events:\n- name: yes\n",
            "shop.yaml:5:9: events[0].name: expected text, got true/false (put it in quotes: 'yes')",
            id="yaml-1.1-boolean-as-name",
        ),
        pytest.param(
            "events:\n- name: 404\n",
            "shop.yaml:5:9: events[0].name: expected text, got a number (put it in quotes: '404')",
            id="number-as-name",
        ),
        pytest.param(
            "events:\n- name: A Happened\n  fields: {id: strnig}\n",
            "shop.yaml:6:16: events[0].fields.id: expected one of string, number, integer, boolean, array, object, "
            "null; got 'strnig' (did you mean 'string'?)",
            id="bad-field-type",
        ),
        pytest.param(
            "events:\n- name: A Happened\n  pivotal: maybe\n",
            "shop.yaml:6:12: events[0].pivotal: expected true or false, got 'maybe'",
            id="bad-boolean",
        ),
        pytest.param(
            "events: {name: A}\n",
            "shop.yaml:4:9: events: expected a list, got a mapping",
            id="mapping-instead-of-list",
        ),
        pytest.param(
            "events:\n- Order Placed\n",
            "shop.yaml:5:3: events[0]: expected a mapping, got text",
            id="text-instead-of-mapping",
        ),
        pytest.param(
            "events:\n- name: '   '\n",
            "shop.yaml:5:9: events[0].name: must not be empty",
            id="blank-name",
        ),
    ],
)
def test_schema_and_reference_errors_are_located(body: str, expected: str) -> None:
    assert expected in errors_of(HEADER + body)


def test_all_errors_are_reported_in_file_order() -> None:
    text = HEADER + "contexts:\n- id: Bad\nevents:\n- name: 1\n  colour: red\n"
    found = errors_of(text)
    assert [line.split(": ")[0] for line in found] == ["shop.yaml:5:7", "shop.yaml:7:9", "shop.yaml:8:3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(b"", "shop.yaml:1:1: empty file: a session starts with 'portstorm: 1'", id="empty"),
        pytest.param(b"# only a comment\n\n", "shop.yaml:1:1: empty file", id="only-comments"),
        pytest.param(b"portstorm: 1\nname: [unclosed\n", "shop.yaml:3:1: invalid YAML", id="syntax"),
        pytest.param(b"- a\n- b\n", "shop.yaml:1:1: a session is a mapping", id="not-a-mapping"),
        pytest.param(b"name: Shop\napp: shop\n", "missing 'portstorm: 1'", id="no-version"),
        pytest.param(
            b"portstorm: 2\nname: Shop\napp: shop\n",
            "shop.yaml:1:12: portstorm: written by a newer portstorm (format 2); this one reads format 1",
            id="newer-format",
        ),
        pytest.param(b"portstorm: zero\nname: x\napp: x\n", "unknown format 'zero'", id="bad-format"),
        pytest.param(
            b"portstorm: 1\nname: Shop\nname: Other\napp: shop\n",
            "shop.yaml:3:1: duplicate key 'name'",
            id="duplicate-key",
        ),
        pytest.param(
            b"portstorm: 1\nname: Shop\napp: shop\nevents:\n- name: A Happened\n  fields: {id: string, id: number}\n",
            "shop.yaml:6:24: events[0].fields: duplicate key 'id'",
            id="duplicate-nested-key",
        ),
        pytest.param(
            b"portstorm: 1\nname: !!python/object:os.system ls\napp: shop\n",
            "shop.yaml:2:7: name: tag 'tag:yaml.org,2002:python/object:os.system' is not allowed",
            id="python-tag",
        ),
        pytest.param(b"portstorm: 1\nname: !custom x\napp: shop\n", "tag '!custom' is not allowed", id="local-tag"),
        pytest.param(b"portstorm: 1\nname: !!binary aGk=\napp: shop\n", "is not allowed", id="binary-tag"),
        pytest.param(
            b"portstorm: 1\nname: Shop\napp: shop\nx-a: &a\n  b: 1\nx-c:\n  <<: *a\n",
            "shop.yaml:7:3: x-c: merge keys ('<<') are not supported",
            id="merge-key",
        ),
        pytest.param(b"portstorm: 1\nname: \xff\xfe\napp: shop\n", "shop.yaml:2:7: not UTF-8 text", id="not-utf8"),
        pytest.param(b"portstorm: 1\nname: a\x00b\napp: shop\n", "shop.yaml:2:8: invalid YAML", id="nul-byte"),
        pytest.param(
            b"portstorm: 1\nname: Shop\napp: shop\n---\nportstorm: 1\n",
            "more than one YAML document",
            id="two-documents",
        ),
        pytest.param(
            b"portstorm: 1\nname: Shop\napp: shop\nx-loop: &a [*a]\n", "an alias refers to itself", id="recursive-alias"
        ),
        pytest.param(
            b"portstorm: 1\nx-deep: " + b"[" * 80 + b"]" * 80 + b"\n", "nested deeper than 64 levels", id="deep"
        ),
        pytest.param(b"portstorm: 1\n[a]: b\n", "a key must be plain text", id="complex-key"),
    ],
)
def test_malformed_files_are_refused_with_a_location(text: bytes, expected: str) -> None:
    found = errors_of(text)
    assert len(found) == 1
    assert expected in found[0]


def test_billion_laughs_is_refused_quickly() -> None:
    lines = [
        "portstorm: 1",
        "name: Shop",
        "app: shop",
        'x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    lines += [f"x-l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    (message,) = errors_of("\n".join(lines) + "\n")
    assert f"aliases expand to more than {MAX_ALIAS_VALUES} values" in message


def test_a_few_aliases_are_fine() -> None:
    text = HEADER + "x-common: &common {id: string}\nx-again: *common\n"
    session = parse_session(text.encode(), "shop.yaml")
    assert session.extensions == {"x-common": {"id": "string"}, "x-again": {"id": "string"}}


def test_oversized_file_is_refused_before_parsing() -> None:
    (message,) = errors_of(b"#" * (MAX_FILE_BYTES + 1))
    assert message == "shop.yaml:1:1: larger than 16 MiB: not a session file"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(lambda tmp: tmp / "missing.yaml", "no such file", id="missing"),
        pytest.param(lambda tmp: tmp, "is a directory", id="directory"),
    ],
)
def test_unreadable_paths(tmp_path, make, expected) -> None:
    with pytest.raises(SessionError, match=expected):
        load_session(make(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(write_session) -> None:  # pragma: no cover - CI runs as root
    path = write_session(HEADER)
    path.chmod(0)
    with pytest.raises(SessionError, match="permission denied"):
        load_session(path)


def test_timestamps_and_keys_stay_the_text_that_was_typed() -> None:
    text = HEADER + "events:\n- name: A Happened\n  notes: 2024-01-01\n  fields: {on: boolean, 'no': string}\n"
    (event,) = parse_session(text.encode(), "shop.yaml").events
    assert event.notes == "2024-01-01"
    assert event.fields == {"on": "boolean", "no": "string"}


def test_a_value_reads_as_its_quotes_and_tag_say_whatever_the_same_text_read_as_before() -> None:
    # The fast loader remembers each plain scalar it has read: a tagged one must not pass for it.
    text = HEADER + "events:\n- name: A Happened\n  notes: '12'\n- name: B Happened\n  notes: !!str 12\n"
    assert [event.notes for event in parse_session(text.encode(), "shop.yaml").events] == ["12", "12"]
    text = HEADER + "events:\n- name: A Happened\n  notes: '12'\n- name: B Happened\n  notes: 12\n"
    with pytest.raises(SessionError, match=r"events\[1\]\.notes: expected text"):
        parse_session(text.encode(), "shop.yaml")  # the same text unquoted is a number


def test_byte_order_mark_is_accepted() -> None:
    session = parse_session(b"\xef\xbb\xbf" + HEADER.encode(), "shop.yaml")
    assert session.app == "shop"
