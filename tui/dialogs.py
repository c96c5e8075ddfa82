"""Dialogs: small forms that return a value, a filtered picker, a choice, and help.

Every dialog is a `ModalScreen[T]` that dismisses with its value (None when cancelled);
callers pass a callback. A form validates in place: its `build` function raises
`Invalid(field, message)` and the message shows under that field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

T = TypeVar("T")


class Invalid(Exception):
    """A form value that cannot be accepted; shown under its field."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(message)


@dataclass(frozen=True)
class Field:
    """One input of a form: text (default), a check box, or a choice."""

    key: str
    label: str
    value: Any = ""
    kind: str = "text"
    options: list[tuple[str, str]] = field(default_factory=list)
    placeholder: str = ""


class FormDialog(ModalScreen[T | None], Generic[T]):
    """A form; Enter or Save builds the value, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, fields: list[Field], build: Callable[[dict[str, Any]], T], submit: str = "Save"):
        super().__init__()
        self.title_text, self.fields, self.build, self.submit = title, fields, build, submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                for item in self.fields:
                    if item.kind == "check":
                        yield Checkbox(item.label, bool(item.value), id=f"field-{item.key}")
                    else:
                        yield Label(item.label, classes="field-label")
                        if item.kind == "choice":
                            yield Select(item.options, value=item.value, allow_blank=False, id=f"field-{item.key}")
                        else:
                            yield Input(str(item.value), placeholder=item.placeholder, id=f"field-{item.key}")
                    yield Static("", classes="field-error", id=f"error-{item.key}")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].key}").focus()

    def values(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for item in self.fields:
            widget = self.query_one(f"#field-{item.key}")
            found[item.key] = widget.value  # type: ignore[attr-defined]
        return found

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        for error in self.query(".field-error").results(Static):
            error.display = False
        try:
            value = self.build(self.values())
        except Invalid as invalid:
            error = self.query_one(f"#error-{invalid.field}", Static)
            error.update(Text(invalid.message))
            error.display = True
            self.query_one(f"#field-{invalid.field}").focus()
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[str | None]):
    """Pick one item from a list; typing filters it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("down", "into_list", "List", show=False)]

    def __init__(self, title: str, items: list[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self.title_text, self.items, self.hint = title, items, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder="type to filter", id="filter")
            yield OptionList(*self._options(""), id="choices")
            if self.hint:
                yield Static(self.hint, classes="muted")

    def _options(self, query: str) -> list[Option]:
        query = query.casefold()
        return [
            Option(Text(label), id=key)
            for key, label in self.items
            if query in label.casefold() or query in key.casefold()
        ]

    @on(Input.Changed, "#filter")
    def refilter(self, event: Input.Changed) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.add_options(self._options(event.value))
        if choices.option_count:
            choices.highlighted = 0

    @on(Input.Submitted, "#filter")
    def take_first(self) -> None:
        choices = self.query_one("#choices", OptionList)
        if choices.option_count:
            index = choices.highlighted or 0
            self.dismiss(choices.get_option_at_index(index).id)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_into_list(self) -> None:
        self.query_one("#choices", OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """A question with a few answers, one button each."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, message: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.message, self.choices = title, message, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(Text(self.message), classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                for number, (key, label) in enumerate(self.choices):
                    yield Button(label, id=f"choice-{key}", variant="primary" if number == 0 else "default")

    @on(Button.Pressed)
    def chosen(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextDialog(ModalScreen[None]):
    """Read-only text: help, or what an export wrote."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("q", "close", "Close", show=False)]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.body)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
