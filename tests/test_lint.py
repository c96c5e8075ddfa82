"""Each lint rule fires when it should, and only then."""

from __future__ import annotations

import pytest

from model.derive import derive, derive_fresh
from model.lint import EVENT_RULES, RULES, SEVERITY_ORDER, event_problems, looks_past_tense, rules_in_order
from model.session import Event, Session
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session, session_from

CLEAN = """\
portstorm: 1
name: Clean
app: clean
contexts:
- id: orders
- id: payments
events:
- name: Order Placed
  context: orders
  fields: {orderId: string}
- name: Payment Taken
  context: payments
policies:
- when: Order Placed
  then: Take Payment
  context: payments
- when: Payment Taken
  then: Close Order
  context: payments
"""


def problems(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(problem.severity, problem.rule, problem.subjects) for problem in derive(session_from(text)).problems]


def test_a_clean_session_has_no_problems() -> None:
    assert problems(CLEAN) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ("- name: Payment Taken\n  context: payments\n", "- name: Payment Taken\n"),
            [("warning", "empty-context", ("payments",)), ("warning", "unassigned-event", ("Payment Taken",))],
            id="unassigned-event-and-empty-context",
        ),
        pytest.param(
            ("Payment Taken", "Take Payment Now"),
            [("warning", "event-not-past-tense", ("Take Payment Now",))],
            id="not-past-tense",
        ),
        pytest.param(
            ("  fields: {orderId: string}\n", ""),
            [("warning", "flow-without-fields", ("Order Placed",))],
            id="flow-without-fields",
        ),
        pytest.param(
            (
                "policies:\n",
                "hotspots:\n- text: Who refunds?\n  about: Order Placed\n- text: Done\n  resolved: true\npolicies:\n",
            ),
            [("warning", "open-hotspot", ("Order Placed", "Who refunds?"))],
            id="open-hotspot-but-not-a-resolved-one",
        ),
        pytest.param(
            ("- when: Payment Taken\n  then: Close Order\n  context: payments\n", ""),
            [("info", "unhandled-event", ("Payment Taken",))],
            id="unhandled-event",
        ),
        pytest.param(
            ("policies:\n", "infrastructure:\n- id: images\n  kind: bucket\npolicies:\n"),
            [("info", "unused-resource", ("images",))],
            id="unused-resource",
        ),
        pytest.param(
            (
                "- id: payments\n",
                "- id: payments\n  uses: [pool]\ninfrastructure:\n- id: pool\n  kind: user-pool\n  owner: orders\n",
            ),
            [("warning", "source-of-existence", ("pool", "orders"))],
            id="source-of-existence",
        ),
        pytest.param(
            (
                "- id: payments\n",
                "- id: payments\n  uses: [pool]\ninfrastructure:\n- id: pool\n  kind: user-pool\n  owner: payments\n",
            ),
            [("info", "unused-resource", ("pool",))],
            id="owning-and-using-is-no-source-of-existence",
        ),
    ],
)
def test_rules(change: tuple[str, str], expected) -> None:
    old, new = change
    assert old in CLEAN
    assert problems(CLEAN.replace(old, new)) == expected


def test_problems_are_sorted_by_severity_then_rule() -> None:
    text = CLEAN.replace("  fields: {orderId: string}\n", "").replace(
        "- name: Payment Taken\n  context: payments\n", "- name: Payment Taken\n"
    )
    severities = [severity for severity, _rule, _subjects in problems(text)]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_rule_ids_are_unique_and_documented() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.summary for rule in RULES)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Order Placed", True),
        ("Payment Taken", True),
        ("Parcel Sent", True),
        ("Account Set Up", True),
        ("Place Order", False),
        ("Stock Level Low", False),
        ("Red", False),
    ],
)
def test_past_tense_heuristic(name: str, expected: bool) -> None:
    assert looks_past_tense(name) is expected


def test_each_rule_reports_under_its_own_id_and_severity() -> None:
    # `derive` lists each rule's problems rule after rule (see `rules_in_order`), which is
    # `find_problems`'s order only if every problem carries its rule's id and severity.
    severity = {rule.id: rule.severity for rule in RULES}
    text = CLEAN.replace("  fields: {orderId: string}\n", "").replace(
        "- name: Payment Taken\n  context: payments\n", "- name: Payment Taken\n"
    )
    sessions = [session_from(text), hostile_session(), *(load_session(path) for path in SAMPLES.glob("*.yaml"))]
    found = [problem for session in sessions for problem in derive_fresh(session).problems]
    assert {problem.rule for problem in found} >= {"unassigned-event", "flow-without-fields", "empty-context"}
    assert all(problem.severity == severity[problem.rule] for problem in found)
    assert [rule.id for rule in rules_in_order()] == sorted(
        severity, key=lambda rule_id: (SEVERITY_ORDER[severity[rule_id]], rule_id)
    )


@pytest.mark.parametrize("name", ["Order Placed", "Place Order", "", "!!", "Ünïcode ﬁxed", "Kept"])
def test_event_problems_are_what_the_event_rules_find(name: str) -> None:
    event = Event(name=name or "?", context=None, fields=None)
    found = dict(zip(EVENT_RULES, event_problems(event, handled=False, readers=("billing",)), strict=True))
    session = Session(name="One", app="one", events=(event,))
    architecture = derive_fresh(session)
    by_rule = {
        rule.id: next(iter(rule.check(session, architecture, [])), None) for rule in RULES if rule.id in EVENT_RULES
    }
    assert found["unassigned-event"] == by_rule["unassigned-event"]
    assert found["event-not-past-tense"] == by_rule["event-not-past-tense"]
    assert found["unhandled-event"] == by_rule["unhandled-event"]
    assert found["flow-without-fields"] is not None  # it flows to billing and has no fields
    assert event_problems(event, handled=True, readers=())[EVENT_RULES.index("unhandled-event")] is None
