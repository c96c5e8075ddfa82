"""Unlimited undo and redo for the workshop app.

Sessions are frozen and an edit shares every record it did not change, so keeping
whole sessions costs little more than the changed records, and undo is a swap.
"""

from __future__ import annotations

from model.session import Session


class History:
    """The current session, with the sessions before it (undo) and after it (redo)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._undo: list[tuple[Session, str]] = []
        self._redo: list[tuple[Session, str]] = []

    @property
    def session(self) -> Session:
        return self._session

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def labels(self) -> list[str]:
        """The labels of the edits that can be undone, oldest first."""
        return [label for _, label in self._undo]

    def apply(self, session: Session, label: str) -> None:
        """Make `session` current; `label` names the edit for undo and redo. A new edit ends redo."""
        self._undo.append((self._session, label))
        self._redo.clear()
        self._session = session

    def undo(self) -> str | None:
        """Go back one edit and return its label, or None when there is nothing to undo."""
        return self._step(self._undo, self._redo)

    def redo(self) -> str | None:
        """Apply the last undone edit again and return its label, or None when there is none."""
        return self._step(self._redo, self._undo)

    def _step(self, source: list[tuple[Session, str]], target: list[tuple[Session, str]]) -> str | None:
        if not source:
            return None
        session, label = source.pop()
        target.append((self._session, label))
        self._session = session
        return label
