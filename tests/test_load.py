"""A big enterprise model: 10,000 events in 200 contexts opens, edits, saves and exports cleanly."""

from __future__ import annotations

from exports.bundle import export
from model.session import Context, Event, Policy, Resource, Session
from model.sessionfile import load_session, save_session
from tests.test_app import SIZE, app_for, capture, settle
from tui.board import Board

EVENTS, CONTEXTS = 10_000, 200


def big_session() -> Session:
    contexts = tuple(
        Context(id=f"ctx-{number:03d}", name=f"Context {number}", owner="team") for number in range(CONTEXTS)
    )
    events = tuple(
        Event(
            name=f"Thing {number} Happened",
            context=f"ctx-{number % CONTEXTS:03d}",
            command=f"Do Thing {number}",
            actor="Someone",
            fields={"id": "string", "amount": "number"},
        )
        for number in range(EVENTS)
    )
    policies = tuple(
        Policy(
            when=f"Thing {number} Happened", then=f"React {number}", context=f"ctx-{(number * 7 + 1) % CONTEXTS:03d}"
        )
        for number in range(0, EVENTS, 4)
    )
    return Session(
        name="Enterprise",
        app="enterprise",
        contexts=contexts,
        events=events,
        policies=policies,
        infrastructure=(Resource(id="user-pool", kind="user-pool"),),
    )


async def test_a_10000_event_session_opens_edits_saves_and_exports(tmp_path) -> None:
    path = tmp_path / "enterprise.yaml"
    save_session(big_session(), path)
    app = app_for(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        board = app.screen.query_one(Board)
        assert len(board.lanes) == CONTEXTS + 1
        await capture(pilot, "Big Thing Happened @ctx-150 -> ctx-003: Notice It")
        board.select_lane("ctx-199")
        await pilot.press("end", "shift+up", "shift+left")
        await pilot.press("ctrl+s")
        await settle(pilot)
    saved = load_session(path)
    assert len(saved.events) == EVENTS + 1
    assert len(saved.policies) == EVENTS // 4 + 1
    result = export(saved, tmp_path / "export")
    assert len([name for name in result.written if name.startswith("cloudformation/standalone/")]) == CONTEXTS
    assert (tmp_path / "export" / "report.html").stat().st_size > 0
