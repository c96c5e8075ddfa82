"""The board: events as sticky notes in one lane per bounded context, drawn line by line.

One virtual widget (Textual's Line API) draws only the lines on screen, so a board of
10,000 cards opens and repaints as fast as an empty one. Lanes are columns; within a
lane, cards follow the timeline from top to bottom and show their timeline number.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, messages
from textual.binding import Binding
from textual.filter import ANSIToTruecolor, LineFilter
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive, reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from model.session import Event, Session, name_key, shared_ends

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
    if text.isprintable():  # nearly always: no need to look at each character
        return text
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


def lanes_of(session: Session, shown: list[int] | None = None) -> list[Lane]:
    """Unsorted first (where a storm begins), then the contexts in session order.

    With `shown` (the events a filter kept), only those cards, and only the lanes holding one.
    """
    members: dict[str | None, list[int]] = {None: []}
    for context in session.contexts:
        members[context.id] = []
    events = session.events
    for index in range(len(events)) if shown is None else shown:
        members[events[index].context].append(index)
    lanes = [Lane(None, "Unsorted", tuple(members[None]))]
    lanes += [Lane(context.id, context.title, tuple(members[context.id])) for context in session.contexts]
    if shown is not None:
        lanes = [lane for lane in lanes if lane.events] or lanes[:1]
    return lanes


def lanes_after_edit(before: Session, lanes: list[Lane], after: Session) -> list[Lane]:
    """The unfiltered lanes of `after`, from those of `before`, an edit earlier.

    An edit shares the records it did not touch, so only the cards between the shared
    ends are sorted into lanes again; the cards after them keep their lanes and shift by
    how many cards the edit added or removed. At 10,000 events this touches a few cards
    instead of every one (3 to 6 ms of the edit's frame).
    """
    if before.contexts is not after.contexts:
        return lanes_of(after)  # a context added, renamed or removed: the lanes themselves change
    head, tail = shared_ends(before.events, after.events)
    old_end, new_end = len(before.events) - tail, len(after.events) - tail
    shift = new_end - old_end
    added: dict[str | None, list[int]] = {}
    for index in range(head, new_end):
        added.setdefault(after.events[index].context, []).append(index)
    result = []
    for lane in lanes:
        cut, rest = bisect_left(lane.events, head), bisect_left(lane.events, old_end)
        if lane.context not in added and (cut == len(lane.events) or (not shift and cut == rest)):
            result.append(lane)  # the edit neither added to this lane nor moved any of its cards
            continue
        later = lane.events[rest:]
        if shift:
            later = tuple(map(shift.__add__, later))
        result.append(Lane(lane.context, lane.title, (*lane.events[:cut], *added.get(lane.context, ()), *later)))
    return result


def _first_cells(segments: list[Segment], width: int) -> list[Segment]:
    """The segments that fill the first `width` cells, the last one cut (as `Strip.crop` cuts)."""
    kept, room = [], width
    for segment in segments:
        if room <= 0:
            break
        cells = cell_len(segment.text)
        kept.append(segment if cells <= room else segment.split_cells(room)[0])
        room -= cells
    return kept


def search_text(event: Event) -> str:
    """What a filter looks in: the card's name, command, actor, aggregate and context."""
    words = (event.name, event.command, event.actor, event.aggregate, event.context)
    return " ".join(word for word in words if word).casefold()


def _position_of(session: Session, name: str, near: int) -> int | None:
    """Where the event called `name` is now: an edit moves a card by a few places at most."""
    key = name_key(name)
    events = session.events
    for index in sorted(range(max(0, near - 2), min(len(events), near + 3)), key=lambda index: abs(index - near)):
        if name_key(events[index].name) == key:
            return index
    return next((index for index, event in enumerate(events) if name_key(event.name) == key), None)


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

    class MoveRequested(Message):
        """The facilitator asked to move the selected card: in time (dy) or across lanes (dx)."""

        def __init__(self, event_index: int, dx: int, dy: int) -> None:
            self.event_index, self.dx, self.dy = event_index, dx, dy
            super().__init__()

    # The board's own size never follows its content: a card added to the longest lane
    # changes only how far it scrolls, which needs no layout of the whole screen (15 ms).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    lane = reactive(0, always_update=True, init=False, repaint=False)  # _cursor_changed repaints
    row = reactive(0, always_update=True, init=False, repaint=False)

    def __init__(self, session: Session, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.session = session
        self.lanes = lanes_of(session)
        self._all_lanes_of: Session | None = session  # the session that `lanes` shows unfiltered
        self.hotspots: dict[str, int] = {}
        self.marked: set[str] = set()
        # Drawn cards by event identity (events are immutable), with how they were drawn:
        # an edit shifts the numbers of the cards after it, but redraws only the card it changed.
        self._cards: dict[int, tuple[Event, bool, int, tuple[list[Segment], ...]]] = {}
        self._background = Style()  # the theme's style the cached cards were drawn on
        self.filter = ""  # casefolded words a card must contain to be shown
        self._shown: int | None = None  # how many cards the filter kept
        self._search_texts: dict[int, tuple[Event, str]] = {}  # by event identity: events are immutable
        self._texts: tuple[Session | None, list[str]] = (None, [])  # the search texts of one session
        self._last_match: tuple[Session | None, str, list[int]] = (None, "", [])  # the last filter and its cards
        self._cursor_row = 0  # the row drawn with the cursor
        self._update_size()
        if session.events:  # start on the first card, wherever it is
            self.select_event(0)

    # ------------------------------------------------------------ data in

    def show(self, session: Session, select: int | None = None) -> None:
        """Show a new version of the session, keeping the selection on the same card."""
        keep = select
        if keep is None and self.selected_event is not None:
            keep = _position_of(session, self.session.events[self.selected_event].name, self.selected_event)
        before, self.session = self.session, session
        shown = self._matching()
        if shown is None and self._all_lanes_of is before:
            self.lanes = lanes_after_edit(before, self.lanes, session)
        else:
            self.lanes = lanes_of(session, shown)
        self._all_lanes_of = session if shown is None else None
        hotspots: dict[str, int] = {}
        for hotspot in session.hotspots:
            if hotspot.about and not hotspot.resolved:
                hotspots[name_key(hotspot.about)] = hotspots.get(name_key(hotspot.about), 0) + 1
        if hotspots != self.hotspots:
            self.hotspots = hotspots
            self._cards.clear()
        if self.marked:
            self.marked &= {name_key(event.name) for event in session.events}
        self._update_size()
        self._say_where()
        # Said again on every edit: a card added or changed under a filter changes its count.
        words, total = visible_text(self.filter), len(session.events)
        self.border_title = f"filter “{words}”: {self._shown} of {total} cards" if self.filter else ""
        if keep is not None and keep < len(session.events):
            self.select_event(keep)
        else:
            self._clamp()
        self.refresh()
        if self.is_mounted:
            # Into the very next frame: the board would otherwise ask for it only when its own
            # queue runs, after the frame that a key's other effects (the emptied capture
            # line) have started, and wait a frame or two more (30 ms). Asked for here, it is
            # not asked for again: the next frame would draw the whole board a second time.
            self.screen.post_message(messages.Update(self))
            self._repaint_required = False

    def set_filter(self, text: str) -> int | None:
        """Show only the cards whose words contain `text` (empty: every card); how many match."""
        needle = " ".join(text.split()).casefold()
        if needle == self.filter:
            return self._shown
        self.filter = needle
        self.show(self.session)
        return self._shown

    def _matching(self) -> list[int] | None:
        """The events the filter keeps, in timeline order (None: no filter)."""
        if not self.filter:
            self._shown = None
            return None
        texts = self._texts_of(self.session)
        session, needle, found = self._last_match
        if session is self.session and needle and needle in self.filter:
            # A longer needle can only keep fewer cards: look among the last matches alone.
            found = [index for index in found if self.filter in texts[index]]
        else:
            found = [index for index, text in enumerate(texts) if self.filter in text]
        self._last_match = (self.session, self.filter, found)
        self._shown = len(found)
        return found

    def _texts_of(self, session: Session) -> list[str]:
        """What the filter looks in, one text per event (kept for the events an edit left alone)."""
        if self._texts[0] is session:
            return self._texts[1]
        previous, known = self._search_texts, {}
        for event in session.events:
            cached = previous.get(id(event))
            if cached is None or cached[0] is not event:
                cached = (event, search_text(event))
            known[id(event)] = cached
        self._search_texts = known
        texts = [known[id(event)][1] for event in session.events]
        self._texts = (session, texts)
        return texts

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
        """Put the cursor on a card (or, when a filter hides it, on the nearest shown card of its lane)."""
        context = self.session.events[event_index].context
        for lane_number, lane in enumerate(self.lanes):
            if lane.context == context:
                row = min(bisect_left(lane.events, event_index), len(lane.events) - 1)
                self.lane, self.row = lane_number, max(0, row)
                return
        self._clamp()

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
        self._cards.pop(id(self.session.events[selected]), None)
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

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        # Textual's hook as the size is set, before the first paint (the Resize event comes
        # after it): on opening, the first card may be in a lane far to the right.
        resized = super()._size_updated(size, virtual_size, container_size, layout)
        if resized:
            self._keep_cursor_in_view()
        return resized

    def on_resize(self) -> None:
        self._update_size()
        self._say_where()

    def watch_lane(self) -> None:
        self._cursor_changed()

    def watch_row(self) -> None:
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        # Only the old and the new cursor card look different: redraw just their lines
        # unless the view had to scroll.
        before = self._cursor_row
        self._cursor_row = self.row
        if self.is_mounted:
            scrolled = self.scroll_offset
            self._keep_cursor_in_view()
            if self.scroll_offset != scrolled:
                self.refresh()
            else:
                for row in {before, self.row}:
                    self.refresh_lines(HEADER_HEIGHT + row * CARD_HEIGHT, CARD_HEIGHT)

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
        # Forced: Textual allows a scroll only once a layout has noticed the board grew (a new
        # lane), and the board is not laid out again for that.
        self.scroll_to(x, y, animate=False, immediate=True, force=True)

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
        width, view = len(self.lanes) * LANE_WIDTH, self.scrollable_content_region.width
        if width > view:  # room after the last lane, so that the view stops at a lane's edge there too
            width += -(width - view) % LANE_WIDTH
        self.virtual_size = Size(width, rows * CARD_HEIGHT + HEADER_HEIGHT)

    # Not ScrollView's watchers: they move the hidden scrollbars, and Textual then maps every
    # widget of the screen again (the scrollbars are not on it), about 2 ms a scroll.
    def watch_scroll_x(self, old: float, new: float) -> None:
        self._scrolled(old, new)

    def watch_scroll_y(self, old: float, new: float) -> None:
        self._scrolled(old, new)

    def _scrolled(self, old: float, new: float) -> None:
        if round(old) != round(new):
            self.refresh()
        self._say_where()

    def _say_where(self) -> None:
        """Which lanes and rows are in view, in the border: the board has no scrollbars."""
        region = self.scrollable_content_region
        rows_shown = max(1, (region.height - HEADER_HEIGHT) // CARD_HEIGHT)
        first_lane = int(self.scroll_x) // LANE_WIDTH
        last_lane = min(len(self.lanes), -(-(int(self.scroll_x) + region.width) // LANE_WIDTH))  # a cut lane counts
        first_row = int(self.scroll_y) // CARD_HEIGHT
        rows = max((len(lane.events) for lane in self.lanes), default=0)
        where = f"lanes {first_lane + 1}–{max(first_lane + 1, last_lane)} of {len(self.lanes)}"
        if rows > rows_shown:
            where += f" · rows {first_row + 1}–{min(rows, first_row + rows_shown)} of {rows}"
        self.border_subtitle = where

    def get_line_filters(self) -> Sequence[LineFilter]:
        # Every colour on the board is truecolor already (its notes', the theme's background and
        # border): turning ANSI colours into truecolor would only copy each line, once a frame.
        return [found for found in super().get_line_filters() if not isinstance(found, ANSIToTruecolor)]

    def render_lines(self, crop: Region) -> list[Strip]:
        # The theme's style, under everything the notes do not colour: read once a frame,
        # not once a line (it walks the styles of every ancestor).
        background = self.rich_style
        if background != self._background:
            self._cards.clear()
            self._background = background
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        # One Strip per line, built from cached segment lists: a scroll through 10,000
        # cards redraws every line, so each one must cost next to nothing.
        background = self._background
        scroll_x, scroll_y = int(self.scroll_x), int(self.scroll_y)
        width = self.size.width
        first = scroll_x // LANE_WIDTH
        last = min(len(self.lanes), (scroll_x + width) // LANE_WIDTH + 1)
        segments: list[Segment] = []
        if not self.session.events and y == HEADER_HEIGHT + 1:
            hint = "  No events yet: press e and type what happened, e.g. Order Placed"
            segments.append(Segment(hint, background + EMPTY))
            cells, offset = cell_len(hint), 0
        else:
            if y < HEADER_HEIGHT:
                for lane in self.lanes[first:last]:
                    segments += self._header(lane, y)
            else:
                row, line = divmod(y - HEADER_HEIGHT + scroll_y, CARD_HEIGHT)
                for number in range(first, last):
                    segments += self._card_line(number, row, line)
            cells, offset = (last - first) * LANE_WIDTH, scroll_x - first * LANE_WIDTH
        if offset:  # scrolled by part of a lane (a sideways mouse wheel): rare
            return Strip(segments, cells).crop(offset, offset + width).extend_cell_length(width, background)
        # Cut or padded here rather than by the Strip's own methods, which would build a second
        # Strip for every line of a frame (each one sets up seven caches).
        if cells > width:
            segments = _first_cells(segments, width)  # the last lane, partly in view
        elif cells < width:
            segments.append(Segment(" " * (width - cells), background))
        return Strip(segments, width)

    def _header(self, lane: Lane, y: int) -> list[Segment]:
        if y == 0:
            text, style = " " + fit(visible_text(lane.title), LANE_WIDTH - 1), HEADER
        elif y == 1:
            count = len(lane.events)
            detail = f"{lane.context or 'no context yet'} · {count} event{'s' if count != 1 else ''}"
            text, style = " " + fit(detail, LANE_WIDTH - 1), HEADER_RULE
        else:
            text, style = " " + "─" * CARD_WIDTH + "  ", HEADER_RULE
        return [Segment(text, self._background + style)]

    def _card_line(self, lane_number: int, row: int, line: int) -> list[Segment]:
        lane = self.lanes[lane_number]
        if row >= len(lane.events) or line == CARD_HEIGHT - 1:
            return [Segment(" " * LANE_WIDTH, self._background)]
        index = lane.events[row]
        event = self.session.events[index]
        selected = lane_number == self.lane and row == self.row
        number = f"{index + 1} "
        cached = self._cards.get(id(event))
        if cached is None or cached[0] is not event or cached[1] != selected or cached[2] != len(number):
            if len(self._cards) > 2_000:  # scrolling through a huge board must not keep every card drawn
                self._cards.clear()
            cached = (event, selected, len(number), self._card(event, selected, len(number)))
            self._cards[id(event)] = cached  # holding the event keeps its id from being reused
        if line:
            return cached[3][line]
        title = cached[3][0]  # drawn without its number, which an edit before it changes
        style = self._background + (EVENT_SELECTED if selected else NUMBER)
        return [*title[:2], Segment(number, style), *title[2:]]

    def _card(self, event: Event, selected: bool, number_width: int) -> tuple[list[Segment], ...]:
        """The three lines of a note, each exactly LANE_WIDTH cells once its number goes in after the bar."""
        body = EVENT_SELECTED if selected else EVENT
        bar = CURSOR_BAR if selected else PIVOTAL_BAR if event.pivotal else PLAIN_BAR
        bar_char = "▶" if selected else "┃" if event.pivotal else "▏"
        key = name_key(event.name)
        mark = "✓" if key in self.marked else ""
        name_width = CARD_WIDTH - 1 - number_width - len(mark)
        title = [
            (" ", None),
            (bar_char, bar),
            (fit(visible_text(event.name), name_width), body + Style(bold=True)),
            (mark, body),
            ("  ", None),
        ]
        command = self._chip_line(body, [(event.command, COMMAND, "▸ ")])
        hotspots = self.hotspots.get(key, 0)
        extras = [(event.actor, ACTOR, "☺ "), (f"{hotspots}" if hotspots else None, HOTSPOT, "⚠ ")]
        if event.pivotal:
            extras.insert(0, ("pivotal", PIVOTAL_BAR, "◆ "))
        background = self._background
        return tuple(
            [Segment(text, background + style if style else background) for text, style in line if text]
            for line in (title, command, self._chip_line(body, extras))
        )

    def _chip_line(self, body: Style, chips: list[tuple[str | None, Style, str]]) -> list[tuple[str, Style | None]]:
        """A line of the note holding coloured tags (command, actor, hotspots)."""
        parts: list[tuple[str, Style | None]] = [(" ", None), (" ", body)]
        room = CARD_WIDTH - 1
        for text, style, icon in chips:
            if not text or room <= 3:
                continue
            label = fit(icon + visible_text(text), min(room - 1, cell_len(icon + visible_text(text))))
            parts += [(label, style), (" ", body)]
            room -= cell_len(label) + 1
        parts += [(" " * room, body), ("  ", None)]
        return parts
