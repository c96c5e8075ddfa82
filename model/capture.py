"""Quick capture: one line the facilitator types while the room calls out events.

    Order Placed
    Order Placed @orders
    Order Placed @orders -> inventory: Reserve Stock
    Order Placed -> inventory: Reserve Stock

The line is checked as it is typed, so a mistake gets a short hint saying the fix
(CaptureError) rather than an error message; contexts it names are created on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.edits import add_event, add_policy, ensure_context, suggest_slug
from model.session import Event, Policy, Session, is_slug

CAPTURE_SYNTAX = "Order Placed @orders -> inventory: Reserve Stock"
"""The full form, for the input's placeholder and the help."""

_REACTION_HINT = "-> needs a context and a command, like -> inventory: Reserve Stock"


class CaptureError(Exception):
    """A line that is not (yet) a capture; `hint` says how to fix it, in a few words."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


@dataclass(frozen=True)
class Capture:
    """What one line says: an event, maybe its context, maybe a policy reacting to it."""

    name: str
    context: str | None = None
    reacting_context: str | None = None
    command: str | None = None


def parse_capture(text: str) -> Capture:
    """Read one capture line, or raise CaptureError with a hint (and never anything else)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CaptureError("some characters cannot be saved: type them again") from None
    event_part, arrow, reaction = text.partition("->")
    if "->" in reaction:
        raise CaptureError("one -> per line: capture the next reaction on its own line")
    name, at, context = event_part.partition("@")
    if "@" in context:
        raise CaptureError("one @context per event, like @orders")
    name = _words(name)
    if not name:
        raise CaptureError("type an event name first")
    context_id = _context_id(context, "@", "orders") if at else None
    if not arrow:
        return Capture(name, context_id)
    if "@" in reaction:
        raise CaptureError("put @context right after the event name, before ->")
    reacting, colon, command = reaction.partition(":")
    command = _words(command)
    if not colon or not reacting.strip() or not command:
        raise CaptureError(_REACTION_HINT)
    return Capture(name, context_id, _context_id(reacting, "-> ", "inventory"), command)


def apply_capture(session: Session, capture: Capture, after: int | None = None) -> tuple[Session, list[str]]:
    """Add the captured event after position `after` (and its policy); returns the contexts created.

    Raises EditError (from `model.edits`), for instance when the event exists already.
    """
    created: list[str] = []
    for context_id in dict.fromkeys((capture.context, capture.reacting_context)):
        if context_id is not None:
            session, is_new = ensure_context(session, context_id)
            if is_new:
                created.append(context_id)
    session = add_event(session, Event(name=capture.name, context=capture.context), after)
    if capture.reacting_context is not None and capture.command is not None:
        policy = Policy(when=capture.name, then=capture.command, context=capture.reacting_context)
        session = add_policy(session, policy)
    return session, created


def _words(text: str) -> str:
    """`text` with runs of spaces made one, so near-identical names do not pile up."""
    return " ".join(text.split())


def _context_id(token: str, prefix: str, example: str) -> str:
    token = token.strip()
    if is_slug(token):
        return token
    if not token:
        raise CaptureError(f"after {prefix.strip()} comes a context id, like {prefix}{example}")
    suggestion = suggest_slug(token)
    if suggestion:
        raise CaptureError(f"context ids are lowercase words joined by '-': try {prefix}{suggestion}")
    raise CaptureError(f"context ids use a-z, 0-9 and '-', like {prefix}{example}")
