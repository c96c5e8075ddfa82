"""Export from the app: choose formats and a folder, export in a worker, show what was written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from tui.dialogs import Field, FormDialog, Invalid, TextDialog

if TYPE_CHECKING:
    from tui.workshop import WorkshopScreen


def default_folder(session_path: Path) -> Path:
    """`<session stem>-export/` beside the session."""
    return session_path.with_name(f"{session_path.stem}-export")


def start_export(screen: WorkshopScreen) -> None:
    from exports.bundle import FORMATS

    folder = screen.last_export or default_folder(screen.store.path)
    fields = [Field(name, name, True, "check") for name in FORMATS]
    fields.append(Field("folder", "Folder", str(folder)))
    first_format = next(iter(FORMATS))

    def build(values: dict[str, Any]) -> tuple[list[str], Path]:
        chosen = [name for name in FORMATS if values[name]]
        if not chosen:
            raise Invalid(first_format, "Choose at least one format")
        if not values["folder"].strip():
            raise Invalid("folder", "Where should the files go?")
        return chosen, Path(values["folder"].strip()).expanduser()

    def done(choice: tuple[list[str], Path] | None) -> None:
        if choice is not None:
            screen.say(f"Exporting to {choice[1]}…")
            run_export(screen, *choice)

    screen.app.push_screen(FormDialog("Export", fields, build, "Export"), done)


def run_export(screen: WorkshopScreen, formats: list[str], folder: Path) -> None:
    """Export in a worker thread so the board stays responsive; report back on the main thread."""
    from exports.bundle import BlockedByProblems, ExportError, export

    session = screen.session

    def work_() -> None:
        try:
            result = export(session, folder, formats)
        except BlockedByProblems as blocked:
            lines = Text("Nothing was exported: the session has errors.\n\n", "bold red")
            for problem in blocked.architecture.problems:
                if problem.severity == "error":
                    lines.append(f"• {problem.message}\n")
            screen.app.call_from_thread(screen.app.push_screen, TextDialog("Export blocked", lines))
            return
        except ExportError as error:
            screen.app.call_from_thread(screen.say, f"Export failed: {error}", "error")
            return
        written = Text(f"{len(result.written)} files in {result.folder}\n\n", "bold")
        for relative in result.written:
            written.append(f"  {relative}\n")
        written.append("\no opens report.html in your browser.", "italic")

        def finish() -> None:
            screen.last_export = result.folder
            screen.say(f"Exported {len(result.written)} files to {result.folder}")
            screen.app.push_screen(TextDialog("Exported", written))

        screen.app.call_from_thread(finish)

    screen.run_worker(work_, thread=True, exclusive=True, group="export", name="export")
