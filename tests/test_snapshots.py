"""SVG snapshots of what the room sees, from the e-commerce sample.

A changed look fails here; after reviewing the new pictures, `make snapshots` rewrites them.
"""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import SAMPLES
from tui.app import PortstormApp
from tui.store import SessionStore


@pytest.fixture
def shop_app(tmp_path) -> PortstormApp:
    path = tmp_path / "shop.yaml"
    shutil.copy(SAMPLES / "ecommerce.yaml", path)
    store = SessionStore(path)
    return PortstormApp(store, store.load())


async def derived(pilot) -> None:
    """Wait for the worker threads (derive, map) so the panels are drawn."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_board(snap_compare, shop_app, size) -> None:
    assert snap_compare(shop_app, terminal_size=size, run_before=derived)


def test_panels_on_a_narrow_screen(snap_compare, shop_app) -> None:
    assert snap_compare(shop_app, terminal_size=(80, 24), press=["v"], run_before=derived)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_map(snap_compare, shop_app, size) -> None:
    async def open_map(pilot) -> None:
        await derived(pilot)
        await pilot.press("m")
        await derived(pilot)

    assert snap_compare(shop_app, terminal_size=size, run_before=open_map)
