"""The command palette (ctrl+p): every action of the workshop, found by typing."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class WorkshopCommands(Provider):
    """One command per key binding of the workshop screen and its board."""

    def _commands(self) -> list[tuple[str, str, str]]:
        from tui.board import Board
        from tui.workshop import WorkshopScreen

        screen = self.screen
        if not isinstance(screen, WorkshopScreen):
            return []
        found = []
        for bindings in (WorkshopScreen.BINDINGS, Board.BINDINGS):
            for binding in bindings:
                if isinstance(binding, Binding) and binding.description:
                    found.append((binding.description, binding.tooltip, binding.action))
        return found

    async def _run(self, action: str) -> None:
        from tui.board import Board

        screen = self.screen
        board_actions = {binding.action for binding in Board.BINDINGS if isinstance(binding, Binding)}
        target = screen.query_one(Board) if action in board_actions else screen
        await target.run_action(action)

    async def discover(self) -> Hits:
        for name, help_text, action in self._commands():
            yield DiscoveryHit(name, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._commands():
            score = max(matcher.match(name), matcher.match(help_text))  # "create" finds "Context"
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action), help=help_text)
