"""Unlimited undo and redo for the workshop app, in memory that grows with the edits only.

Each step keeps what one edit changed, not a whole session: for each list of records
(events, contexts, ...) the slice that differs, found by identity (an edit shares every
record it did not touch), and the session's own fields. A 10,000-event session costs a
few hundred bytes per ordinary edit, so thousands of edits keep memory flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.session import Record, Session, shared_ends

SECTIONS = ("contexts", "events", "policies", "infrastructure", "hotspots")
_EMPTY: dict[str, Any] = dict.fromkeys(SECTIONS, ())


@dataclass(frozen=True, slots=True)
class _Splice:
    """In one list, `before` at `start` became `after`."""

    section: str
    start: int
    before: tuple[Record, ...]
    after: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class _Step:
    label: str
    splices: tuple[_Splice, ...]
    header_before: Session
    """The session's own fields (name, app, `x-` keys) before the edit, with empty lists."""
    header_after: Session


def _difference(before: Session, after: Session, label: str) -> _Step:
    splices = []
    for section in SECTIONS:
        old: tuple[Record, ...] = getattr(before, section)
        new: tuple[Record, ...] = getattr(after, section)
        if old is new:
            continue
        prefix, suffix = shared_ends(old, new)
        splices.append(_Splice(section, prefix, old[prefix : len(old) - suffix], new[prefix : len(new) - suffix]))
    return _Step(label, tuple(splices), _header(before), _header(after))


def _header(session: Session) -> Session:
    return session.model_copy(update=_EMPTY)


def _replay(session: Session, step: _Step, *, forward: bool) -> Session:
    update: dict[str, Any] = {}
    for splice in step.splices:
        current: tuple[Record, ...] = getattr(session, splice.section)
        removed, inserted = (splice.before, splice.after) if forward else (splice.after, splice.before)
        update[splice.section] = (*current[: splice.start], *inserted, *current[splice.start + len(removed) :])
    for section in SECTIONS:
        update.setdefault(section, getattr(session, section))
    header = step.header_after if forward else step.header_before
    return header.model_copy(update=update)


class History:
    """The current session, with the steps before it (undo) and after it (redo)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []

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
        return [step.label for step in self._undo]

    def apply(self, session: Session, label: str) -> None:
        """Make `session` current; `label` names the edit for undo and redo. A new edit ends redo."""
        self._undo.append(_difference(self._session, session, label))
        self._redo.clear()
        self._session = session

    def undo(self) -> str | None:
        """Go back one edit and return its label, or None when there is nothing to undo."""
        if not self._undo:
            return None
        step = self._undo.pop()
        self._session = _replay(self._session, step, forward=False)
        self._redo.append(step)
        return step.label

    def redo(self) -> str | None:
        """Apply the last undone edit again and return its label, or None when there is none."""
        if not self._redo:
            return None
        step = self._redo.pop()
        self._session = _replay(self._session, step, forward=True)
        self._undo.append(step)
        return step.label
