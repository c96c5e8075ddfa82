"""Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from collections.abc import Hashable

from textual import widgets


class Footer(widgets.Footer):
    """The keys of the focused widget and its screen, as Textual's Footer shows them.

    Textual's Footer builds all its keys again (a widget each) every time the screen says its
    bindings may have changed: eight times while the panel's tabs are mounted after the first
    frame, 40 ms in all, holding back the first derivation's panels. Most of those times the
    keys are the same, and this footer keeps the ones it has.
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: Hashable = None

    async def recompose(self) -> None:
        shown = self._keys_to_show()
        if shown == self._shown:
            return
        self._shown = shown
        await super().recompose()

    def _keys_to_show(self) -> Hashable:
        """What the footer's keys are built from: every active binding, and the footer's own settings."""
        if not self.is_attached:
            return None
        active = self.screen.active_bindings
        bindings = tuple((key, binding, enabled, tooltip) for key, (_, binding, enabled, tooltip) in active.items())
        return bindings, self.compact, self.show_command_palette
