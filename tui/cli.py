"""The `portstorm` command line.

Exit codes: 0 fine, 1 a session has error-level problems (or the command refused),
2 a file cannot be read or parsed, or the command line is wrong.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from model.session import Session

# The model (pydantic, PyYAML) is imported where a command needs it: `portstorm FILE`
# turns the garbage collector off first, and importing it with the collector on costs time.

EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


class _FileOrCommandGroup(click.Group):
    """`portstorm FILE` opens the workshop app, so a first word that is no command is a file."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            word = args[0]
            if not Path(word).suffix and not Path(word).exists():
                from model.session import did_you_mean

                hint = did_you_mean(word, list(self.commands))
                if hint:
                    raise click.UsageError(f"no such command {word!r}{hint}", ctx)
            args = ["open", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_FileOrCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portstorm", prog_name="portstorm")
def cli() -> None:
    """Run EventBridge storming workshops and derive the architecture as you type.

    \b
    portstorm FILE            open the workshop app (a new FILE starts a session)
    portstorm new FILE        start a session file
    portstorm validate FILE   check sessions and list their problems
    portstorm plan FILE       show services, ports, flows and deploy waves
    portstorm export FILE --out DIR   write manifests, templates, diagrams, a report
    """


def _fail(message: str, code: int = EXIT_UNREADABLE) -> NoReturn:
    click.echo(f"portstorm: {message}", err=True)
    sys.exit(code)


def load_session(path: str) -> Session:
    """`model.sessionfile.load_session`, imported on first use."""
    from model import sessionfile

    return sessionfile.load_session(path)


def _load(path: str) -> Session:
    from model.sessionfile import SessionError

    try:
        return load_session(path)
    except SessionError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_UNREADABLE)


def title_from_stem(stem: str) -> str:
    words = re.split(r"[-_\s]+", stem.strip())
    return " ".join(word[:1].upper() + word[1:] for word in words if word) or "Workshop"


def app_slug_from(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
    slug = slug.lstrip("0123456789-")
    return slug[:24].rstrip("-") or "app"


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="The workshop's name. [default: from the file name]")
@click.option("--app", "app", help="Slug prefixing EventBridge sources and SSM paths. [default: from the name]")
def new(file: str, name: str | None, app: str | None) -> None:
    """Start an empty session in FILE (never overwrites)."""
    from pydantic import ValidationError

    from model.session import Session
    from model.sessionfile import dump_session, write_atomic

    path = Path(file)
    name = name or title_from_stem(path.stem)
    try:
        session = Session(name=name, app=app or app_slug_from(name))
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        field = ".".join(str(part) for part in problem["loc"])
        message = str(problem["ctx"]["error"]) if problem["type"] == "value_error" else problem["msg"]
        _fail(f"--{field}: {message}", EXIT_UNREADABLE)
    if not path.parent.is_dir():
        _fail(f"{path.parent}: no such folder")
    try:
        write_atomic(path, dump_session(session).encode("utf-8"), exclusive=True)
    except FileExistsError:
        _fail(f"{file} already exists; 'portstorm new' never overwrites (open it with 'portstorm {file}')")
    except OSError as error:
        _fail(f"{file}: cannot write: {error.strerror or error}")
    click.echo(f"Created {file} ({session.name}, app {session.app}). Open it with: portstorm {file}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
def validate(files: tuple[str, ...]) -> None:
    """Check session FILES and list their problems.

    Exits 0 when no session has errors, 1 when one has error-level problems, and 2
    when a file cannot be read or parsed.
    """
    from model.derive import derive
    from model.sessionfile import SessionError
    from tui.plantext import problem_counts

    worst = 0
    for file in files:
        try:
            session = load_session(file)
        except SessionError as error:
            click.echo(str(error), err=True)
            worst = max(worst, EXIT_UNREADABLE)
            continue
        architecture = derive(session)
        for problem in architecture.problems:
            click.echo(f"{file}: {problem.severity}: {problem.message} [{problem.rule}]")
        click.echo(f"{file}: {problem_counts(architecture.problems)}")
        if architecture.has_errors:
            worst = max(worst, EXIT_PROBLEMS)
    sys.exit(worst)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (sorted, deterministic).")
def plan(file: str, as_json: bool) -> None:
    """Show the services, ports, flows, deploy waves and problems derived from FILE."""
    from model.derive import derive
    from tui.plantext import plan_lines

    session = _load(file)
    architecture = derive(session)
    if as_json:
        click.echo(json.dumps(architecture.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in plan_lines(session, architecture):
            click.echo(line)


@cli.command("export")
@click.argument("file", type=click.Path(dir_okay=True))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="The folder to write into.")
@click.option(
    "--format",
    "formats",
    default="all",
    show_default=True,
    help="Comma-separated: ports, cloudformation, serverless, asyncapi, mermaid, dot, plantuml, html, markdown.",
)
@click.option("--stage", default="dev", show_default=True, help="The stage the manifests and templates are for.")
@click.option("--force", is_flag=True, help="Export even when the session has error-level problems.")
def export_(file: str, out: str, formats: str, stage: str, force: bool) -> None:
    """Write port manifests, templates, contracts, diagrams and a report for FILE into --out.

    The folder is replaced all at once: a failure leaves it as it was. Files of formats
    not chosen, and files of your own, are kept.
    """
    from exports.bundle import FORMATS, BlockedByProblems, ExportError, export
    from tui.plantext import problem_lines

    chosen = (
        list(FORMATS) if formats.strip() == "all" else [name.strip() for name in formats.split(",") if name.strip()]
    )
    unknown = [name for name in chosen if name not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose from all, {', '.join(FORMATS)}", param_hint="--format")
    session = _load(file)
    try:
        result = export(session, out, chosen, stage=stage, force=force)
    except BlockedByProblems as blocked:
        for problem in blocked.architecture.problems:
            if problem.severity == "error":
                for line in problem_lines(problem):
                    click.echo(line, err=True)
        _fail(f"{file} has errors: nothing was exported (fix them, or use --force)", EXIT_PROBLEMS)
    except ExportError as error:
        _fail(str(error), EXIT_PROBLEMS)
    for relative in result.written:
        click.echo(f"wrote {Path(out) / relative}")
    click.echo(f"{len(result.written)} files in {out}")


@cli.command()
def rules() -> None:
    """List the lint rules with their stable ids."""
    from model.lint import RULES

    for item in RULES:
        click.echo(f"{item.id:<22} {item.severity:<8} {item.summary}")


@cli.command("open")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--insist", is_flag=True, help="Open for editing even if another portstorm has the file open.")
def open_(file: str, insist: bool) -> None:
    """Open the workshop app on FILE (the same as 'portstorm FILE'); a new FILE starts a session."""
    # Starting up allocates a great deal and frees almost nothing: every garbage collection
    # before the first frame is wasted time (tens of ms), so the collector is off until the
    # app has drawn (it turns it back on). And portstorm uses no pydantic plugins: looking
    # for them in every installed package's metadata costs a few ms more.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Textual paces frames 1/60 s apart: the panels an edit changes, derived a few ms after
    # the board's frame, would wait up to 16 ms for theirs. Frames are drawn only when
    # something changed, so a faster pace costs nothing while the board is still.
    os.environ.setdefault("TEXTUAL_FPS", "120")
    gc.disable()
    try:
        _open_workshop(Path(file), insist)
    finally:
        gc.enable()


def _open_workshop(path: Path, insist: bool) -> None:
    from model.sessionfile import SessionError
    from tui.app import PortstormApp
    from tui.store import SessionStore

    store = SessionStore(path)
    session = None
    if path.exists():
        try:
            session = store.load()
        except SessionError as error:
            click.echo(str(error), err=True)
            sys.exit(EXIT_UNREADABLE)
    elif not path.parent.is_dir():
        _fail(f"{path.parent}: no such folder")
    PortstormApp(store, session, insist=insist).run()


def main(argv: list[str] | None = None) -> Any:
    """The console script: no traceback ever reaches a user."""
    try:
        return cli.main(args=argv, prog_name="portstorm")
    except Exception as error:  # the last line of defence
        if os.environ.get("PORTSTORM_DEBUG"):
            raise
        click.echo(
            f"portstorm: internal error: {type(error).__name__}: {error}\n"
            "Nothing was changed. Run again with PORTSTORM_DEBUG=1 to see the details.",
            err=True,
        )
        sys.exit(70)
