"""A big enterprise model: 10,000 events in 200 contexts opens, edits, saves and exports cleanly."""

from __future__ import annotations

import os
import time

from exports.bundle import export
from model.session import Context, Event, Policy, Resource, Session
from model.sessionfile import load_session, save_session
from tests.conftest import SAMPLES
from tests.test_app import SIZE, app_for, capture, screen_of, settle
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


def _rss_mib() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


SCRIPTED_EDITS = 5_000 if os.environ.get("PORTSTORM_LONG_TESTS") else 1_000


async def test_scripted_edits_with_autosave_lose_nothing(tmp_path) -> None:
    """Edits go in through the capture line, the app's own path after the keys; memory is reported."""
    from tui.workshop import CaptureInput

    shop = tmp_path / "shop.yaml"
    shop.write_bytes((SAMPLES / "ecommerce.yaml").read_bytes())
    edits = SCRIPTED_EDITS
    app = app_for(shop)
    async with app.run_test(size=SIZE) as pilot:
        screen = screen_of(app)
        capture_input = screen.query_one(CaptureInput)
        rss, batches = [], []
        started = time.perf_counter()
        for number in range(edits):
            if number in (edits // 10, edits - 1):
                rss.append(_rss_mib())
            capture_input.post_message(CaptureInput.Line(f"Scripted {number} Happened @ctx{number % 7}"))
            if number % 100 == 99:
                await pilot.pause()  # let the app take in this batch, as a typing room would
                batches.append(time.perf_counter() - started)
                started = time.perf_counter()
        await settle(pilot)
        await pilot.press("ctrl+q")
    saved = load_session(shop)
    assert sum(event.name.startswith("Scripted ") for event in saved.events) == edits
    print(f"\n{edits} edits with autosave: RSS {rss[0]:.0f} MiB after {edits // 10}, {rss[1]:.0f} MiB at the end;")
    print(f"per edit: {batches[1] * 10:.1f} ms in the second hundred, {batches[-1] * 10:.1f} ms in the last")
