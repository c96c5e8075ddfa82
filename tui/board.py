"""The board: events as sticky notes in one lane per bounded context, drawn line by line.

One virtual widget (Textual's Line API) draws only the lines on screen, so a board of
10,000 cards opens and repaints as fast as an empty one. Lanes are columns; within a
lane, cards follow the timeline from top to bottom and show their timeline number.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from model.session import Session, name_key

LANE_WIDTH = 30
CARD_WIDTH = 27
CARD_HEIGHT = 4  # three lines of note and one of space
HEADER_HEIGHT = 3

# The EventStorming palette is the domain's own, so it is fixed rather than themed.
EVENT = Style(color="#1b1b1b", bgcolor="#ffb347")
EVENT_SELECTED = Style(color="#000000", bgcolor="#ffe0a8", bold=True)
PIVOTAL_BAR = Style(color="#d32f2f", bgcolor="#ffb347", bold=True)
PLAIN_BAR = Style(color="#c77700", bgcolor="#ffb347")
CURSOR_BAR = Style(color="#0b57d0", bgcolor="#ffe0a8", bold=True)
COMMAND = Style(color="#ffffff", bgcolor="#1e63c6")
ACTOR = Style(color="#1b1b1b", bgcolor="#ffe45c")
HOTSPOT = Style(color="#ffffff", bgcolor="#d81b78", bold=True)
NUMBER = Style(color="#6b3e00", bgcolor="#ffb347")
HEADER = Style(bold=True)
HEADER_RULE = Style(color="#888888")
EMPTY = Style(color="#888888", italic=True)


def visible_text(text: str) -> str:
    """User text on one line: line breaks and control characters shown, never acted on."""
    return "".join(
        "⏎" if char == "\n" else "·" if ord(char) < 32 or 0x7F <= ord(char) < 0xA0 else char for char in text
    )


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells (with an ellipsis), padded to exactly `width`."""
    if cell_len(text) > width:
        while cell_len(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - cell_len(text))


@dataclass(frozen=True)
class Lane:
    """One column of the board: a bounded context, or the events not sorted yet."""

    context: str | None
    title: str
    events: tuple[int, ...]


def lanes_of(session: Session) -> list[Lane]:
    """Unsorted first (where a storm begins), then the contexts in session order."""
    members: dict[str | None, list[int]] = {None: []}
    for context in session.contexts:
        members[context.id] = []
    for index, event in enumerate(session.events):
        members[event.context].append(index)
    lanes = [Lane(None, "Unsorted", tuple(members[None]))]
    lanes += [Lane(context.id, context.title, tuple(members[context.id])) for context in session.contexts]
    return lanes


class Board(ScrollView, can_focus=True):
    """Sticky notes by lane; arrows move the cursor, shift+arrows move the card."""

    BINDINGS = [
        Binding("up", "cursor(0, -1)", "Up", show=False),
        Binding("down", "cursor(0, 1)", "Down", show=False),
        Binding("left", "cursor(-1, 0)", "Left lane", show=False),
        Binding("right", "cursor(1, 0)", "Right lane", show=False),
        Binding("home", "cursor_edge(-1)", "First card", show=False),
        Binding("end", "cursor_edge(1)", "Last card", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("space", "toggle_mark", "Mark", tooltip="Mark cards to assign several at once"),
        Binding("shift+up", "move(0, -1)", "Earlier", show=False, tooltip="Move the card earlier in the timeline"),
        Binding("shift+down", "move(0, 1)", "Later", show=False, tooltip="Move the card later in the timeline"),
        Binding("shift+left", "move(-1, 0)", "To left lane", show=False),
        Binding("shift+right", "move(1, 0)", "To right lane", show=False),
    ]

    class CursorMoved(Message):
        """The selected card changed (None: an empty lane or board)."""

        def __init__(self, event_index: int | None) -> None:
            self.event_index = event_index
            super().__init__()

    class MoveRequested(Message):
        """The facilitator asked to move the selected card: in time (dy) or across lanes (dx)."""

        def __init__(self, event_index: int, dx: int, dy: int) -> None:
            self.event_index, self.dx, self.dy = event_index, dx, dy
            super().__init__()

    lane = reactive(0, always_update=True, init=False)
    row = reactive(0, always_update=True, init=False)

    def __init__(self, session: Session, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.session = session
        self.lanes = lanes_of(session)
        self.hotspots: dict[str, int] = {}
        self.marked: set[str] = set()
        self._cards: dict[int, tuple[Strip, Strip, Strip]] = {}
        self._update_size()
        if session.events:  # start on the first card, wherever it is
            self.select_event(0)

    # ------------------------------------------------------------ data in

    def show(self, session: Session, select: int | None = None) -> None:
        """Show a new version of the session, keeping the selection on the same card."""
        keep = select if select is not None else self.selected_event
        keep_name = name_key(self.session.events[keep].name) if keep is not None and select is None else None
        self.session = session
        self.lanes = lanes_of(session)
        self.hotspots = {}
        for hotspot in session.hotspots:
            if hotspot.about and not hotspot.resolved:
                self.hotspots[name_key(hotspot.about)] = self.hotspots.get(name_key(hotspot.about), 0) + 1
        keys = {name_key(event.name) for event in session.events}
        self.marked &= keys
        self._cards.clear()
        self._update_size()
        if keep_name is not None:
            found = next(
                (index for index, event in enumerate(session.events) if name_key(event.name) == keep_name), None
            )
            keep = found
        if keep is not None and keep < len(session.events):
            self.select_event(keep)
        else:
            self._clamp()
        self.refresh()

    @property
    def selected_event(self) -> int | None:
        if not self.lanes or self.lane >= len(self.lanes):
            return None
        lane = self.lanes[self.lane]
        return lane.events[self.row] if self.row < len(lane.events) else None

    @property
    def selected_context(self) -> str | None:
        return self.lanes[self.lane].context if self.lanes and self.lane < len(self.lanes) else None

    @property
    def marked_events(self) -> list[int]:
        """Marked cards, or the selected one when none is marked."""
        marked = [index for index, event in enumerate(self.session.events) if name_key(event.name) in self.marked]
        if marked:
            return marked
        return [self.selected_event] if self.selected_event is not None else []

    def select_event(self, event_index: int) -> None:
        for lane_number, lane in enumerate(self.lanes):
            if event_index in lane.events:
                self.lane, self.row = lane_number, lane.events.index(event_index)
                return

    def select_lane(self, context: str | None) -> None:
        for lane_number, lane in enumerate(self.lanes):
            if lane.context == context:
                self.lane, self.row = lane_number, 0
                return

    # ------------------------------------------------------------ keys

    def action_cursor(self, dx: int, dy: int) -> None:
        if dx:
            timeline = self.selected_event
            self.lane = max(0, min(len(self.lanes) - 1, self.lane + dx))
            self.row = self._nearest_row(self.lanes[self.lane], timeline)
        else:
            self.row = max(0, min(len(self.lanes[self.lane].events) - 1, self.row + dy))

    def action_cursor_edge(self, direction: int) -> None:
        self.row = 0 if direction < 0 else max(0, len(self.lanes[self.lane].events) - 1)

    def action_cursor_page(self, direction: int) -> None:
        self.action_cursor(0, direction * max(1, (self.size.height - HEADER_HEIGHT) // CARD_HEIGHT))

    def action_toggle_mark(self) -> None:
        selected = self.selected_event
        if selected is None:
            return
        key = name_key(self.session.events[selected].name)
        self.marked ^= {key}
        self._cards.pop(selected, None)
        self.refresh()

    def action_move(self, dx: int, dy: int) -> None:
        selected = self.selected_event
        if selected is not None:
            self.post_message(self.MoveRequested(selected, dx, dy))

    def on_click(self, event: events.Click) -> None:
        x, y = event.x + int(self.scroll_x), event.y - HEADER_HEIGHT + int(self.scroll_y)
        lane = x // LANE_WIDTH
        if event.y < HEADER_HEIGHT or lane >= len(self.lanes):
            return
        self.lane = lane
        self.row = max(0, min(len(self.lanes[lane].events) - 1, y // CARD_HEIGHT))
        self.focus()

    def on_resize(self) -> None:
        self._keep_cursor_in_view()  # also on opening: the first card may be in a lane far to the right

    def watch_lane(self) -> None:
        self._cursor_changed()

    def watch_row(self) -> None:
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        self._cards.clear()  # the old and the new cursor card look different
        if self.is_mounted:
            self._keep_cursor_in_view()
            self.refresh()
        self.post_message(self.CursorMoved(self.selected_event))

    def _keep_cursor_in_view(self) -> None:
        """Scroll by whole lanes, so no lane is ever shown cut in half on the left."""
        width = max(LANE_WIDTH, self.scrollable_content_region.width)
        height = max(CARD_HEIGHT, self.scrollable_content_region.height - HEADER_HEIGHT)
        x, y = int(self.scroll_x), int(self.scroll_y)
        left, top = self.lane * LANE_WIDTH, self.row * CARD_HEIGHT
        if left < x:
            x = left
        elif left + LANE_WIDTH > x + width:
            x = -(-(left + LANE_WIDTH - width) // LANE_WIDTH) * LANE_WIDTH
        if top < y:
            y = top
        elif top + CARD_HEIGHT > y + height:
            y = top + CARD_HEIGHT - height
        self.scroll_to(x, y, animate=False, immediate=True)

    def _nearest_row(self, lane: Lane, timeline: int | None) -> int:
        """In another lane, the card closest in time to the one left behind."""
        if not lane.events or timeline is None:
            return 0
        return min(range(len(lane.events)), key=lambda row: abs(lane.events[row] - timeline))

    def _clamp(self) -> None:
        self.lane = max(0, min(self.lane, len(self.lanes) - 1))
        self.row = max(0, min(self.row, len(self.lanes[self.lane].events) - 1))

    # ------------------------------------------------------------ drawing

    def _update_size(self) -> None:
        rows = max((len(lane.events) for lane in self.lanes), default=0)
        self.virtual_size = Size(len(self.lanes) * LANE_WIDTH, rows * CARD_HEIGHT + HEADER_HEIGHT)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = int(self.scroll_x), int(self.scroll_y)
        width = self.size.width
        first = scroll_x // LANE_WIDTH
        last = min(len(self.lanes), (scroll_x + width) // LANE_WIDTH + 1)
        if y < HEADER_HEIGHT:
            strips = [self._header(lane, y) for lane in self.lanes[first:last]]
        else:
            content_y = y - HEADER_HEIGHT + scroll_y
            row, line = divmod(content_y, CARD_HEIGHT)
            strips = [self._card_line(number, row, line) for number in range(first, last)]
        if not self.session.events and y == HEADER_HEIGHT + 1:
            hint = "  No events yet: press e and type what happened, e.g. Order Placed"
            strips = [Strip([Segment(hint, EMPTY)])]
            first = scroll_x // LANE_WIDTH
        joined = Strip.join(strips) if strips else Strip.blank(0)
        offset = scroll_x - first * LANE_WIDTH
        # The theme's background under everything the notes do not colour (light or dark).
        return joined.crop(offset, offset + width).extend_cell_length(width).apply_style(self.rich_style)

    def _header(self, lane: Lane, y: int) -> Strip:
        if y == 0:
            title = visible_text(lane.title)
            return Strip([Segment(" " + fit(title, LANE_WIDTH - 1), HEADER)])
        if y == 1:
            count = len(lane.events)
            detail = f"{lane.context or 'no context yet'} · {count} event{'s' if count != 1 else ''}"
            return Strip([Segment(" " + fit(detail, LANE_WIDTH - 1), HEADER_RULE)])
        return Strip([Segment(" " + "─" * CARD_WIDTH + "  ", HEADER_RULE)])

    def _card_line(self, lane_number: int, row: int, line: int) -> Strip:
        lane = self.lanes[lane_number]
        if row >= len(lane.events) or line == CARD_HEIGHT - 1:
            return Strip.blank(LANE_WIDTH)
        index = lane.events[row]
        if index not in self._cards:
            self._cards[index] = self._card(index, lane_number == self.lane and row == self.row)
        return self._cards[index][line]

    def _card(self, index: int, selected: bool) -> tuple[Strip, Strip, Strip]:
        event = self.session.events[index]
        body = EVENT_SELECTED if selected else EVENT
        bar = CURSOR_BAR if selected else PIVOTAL_BAR if event.pivotal else PLAIN_BAR
        bar_char = "▶" if selected else "┃" if event.pivotal else "▏"
        key = name_key(event.name)
        mark = "✓" if key in self.marked else ""
        number = f"{index + 1} "
        name_width = CARD_WIDTH - 1 - len(number) - len(mark)
        title = [
            Segment(" "),
            Segment(bar_char, bar),
            Segment(number, NUMBER if not selected else body),
            Segment(fit(visible_text(event.name), name_width), body + Style(bold=True)),
            Segment(mark, body),
            Segment("  "),
        ]
        command = self._chip_line(body, [(event.command, COMMAND, "▸ ")])
        hotspots = self.hotspots.get(key, 0)
        extras = [(event.actor, ACTOR, "☺ "), (f"{hotspots}" if hotspots else None, HOTSPOT, "⚠ ")]
        if event.pivotal:
            extras.insert(0, ("pivotal", PIVOTAL_BAR, "◆ "))
        return Strip(title), command, self._chip_line(body, extras)

    def _chip_line(self, body: Style, chips: list[tuple[str | None, Style, str]]) -> Strip:
        """A line of the note holding coloured tags (command, actor, hotspots)."""
        segments = [Segment(" "), Segment(" ", body)]
        room = CARD_WIDTH - 1
        for text, style, icon in chips:
            if not text or room <= 3:
                continue
            label = fit(icon + visible_text(text), min(room - 1, cell_len(icon + visible_text(text))))
            segments += [Segment(label, style), Segment(" ", body)]
            room -= cell_len(label) + 1
        segments.append(Segment(" " * room, body))
        segments.append(Segment("  "))
        return Strip(segments)
