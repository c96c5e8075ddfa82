"""Run the exporters and write their files into a folder, all or nothing.

`export` is what the command line and the workshop app call.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from exports.context import ExportContext
from model.derive import Architecture, derive
from model.session import Session, is_slug
from model.sessionfile import current_umask

FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ports": ("exports.manifests", ("ports/",)),
    "cloudformation": ("exports.cloudformation", ("cloudformation/",)),
    "serverless": ("exports.serverless", ("serverless/",)),
    "asyncapi": ("exports.asyncapi", ("asyncapi/",)),
    "mermaid": ("exports.diagrams", ("diagrams/*.mmd",)),
    "dot": ("exports.diagrams", ("diagrams/*.dot", "diagrams/*.svg")),
    "plantuml": ("exports.diagrams", ("diagrams/*.puml",)),
    "html": ("exports.report", ("report.html",)),
    "markdown": ("exports.markdown", ("ARCHITECTURE.md",)),
}
"""Each format: the module whose `render_<format>` writes it, and the paths it owns in the folder."""

MARKER = ".portstorm-export.json"
"""Written into every export folder, so a later export knows the folder is its own."""


class ExportError(Exception):
    """An export that cannot be written; the folder was left as it was."""


class BlockedByProblems(ExportError):
    """The session has error-level problems and the export was not forced."""

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        super().__init__("the session has errors; fix them or export with --force")


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    written: tuple[str, ...]
    """Relative paths of the files written, sorted."""


def render(context: ExportContext, formats: Iterable[str]) -> dict[str, str | bytes]:
    """Every file of the chosen formats, by relative path (nothing is written)."""
    formats = list(formats)
    files: dict[str, str | bytes] = {}
    if {"dot", "html"} & set(formats):
        from exports.diagrams import start_drawing  # imports this module: imported when needed

        start_drawing(context)
    for name in formats:
        module = importlib.import_module(FORMATS[name][0])
        files.update(getattr(module, f"render_{name}")(context))
    return files


def export(
    session: Session,
    folder: str | os.PathLike[str],
    formats: Iterable[str] = FORMATS,
    *,
    stage: str = "dev",
    force: bool = False,
) -> ExportResult:
    """Derive, render and write the chosen formats into `folder`, replacing what they wrote before."""
    chosen = [name for name in FORMATS if name in set(formats)]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ExportError(f"unknown format {sorted(unknown)[0]!r}; choose from {', '.join(FORMATS)}")
    if not is_slug(stage):
        raise ExportError(f"stage {stage!r} is not a valid name: use lowercase letters, digits and '-'")
    architecture = derive(session)
    if architecture.has_errors and not force:
        raise BlockedByProblems(architecture)
    context = ExportContext(session, architecture, stage, graphviz=shutil.which("dot"))
    files = render(context, chosen)
    target = Path(folder).resolve()  # an explicit symlink as the folder is followed, none inside it
    _write_folder(target, files, [pattern for name in chosen for pattern in FORMATS[name][1]])
    return ExportResult(target, tuple(sorted(files)))


def _owned(path: str, patterns: list[str]) -> bool:
    pure = PurePosixPath(path)
    return any(path.startswith(pattern) if pattern.endswith("/") else pure.match(pattern) for pattern in patterns)


def _write_folder(target: Path, files: dict[str, str | bytes], owned: list[str]) -> None:
    """Build the new folder beside `target`, then swap it in: a failure leaves `target` as it was."""
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} is not a folder")
    if target.exists() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise ExportError(f"{target} is not empty and holds no earlier portstorm export; choose another folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; the export is an ordinary folder
    except OSError as error:
        raise ExportError(f"cannot write beside {target}: {error.strerror or error}") from None
    try:
        for relative, content in sorted(files.items()):
            _write_file(staging, relative, content)
        if target.exists():
            _carry_over(target, staging, [*owned, MARKER])
        marker = {"written_by": "portstorm", "files": sorted(files)}
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _swap(staging, target)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"cannot write {target}: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_file(root: Path, relative: str, content: str | bytes) -> None:
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or any(part in ("", ".", "..") for part in parts):
        raise ExportError(f"refusing to write outside the export folder: {relative!r}")
    path = root.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open(path, "xb") as stream:  # "x": a fresh folder, so nothing is ever followed or overwritten
        stream.write(data)


def _carry_over(old: Path, new: Path, owned: list[str]) -> None:
    """Keep what the chosen formats do not own (other formats' files, the user's own files).

    Files are hard-linked where the file system allows (cheap, and the old folder stays
    intact until the swap), links are copied as links and never followed.
    """
    for folder, subfolders, names in os.walk(old):
        here = Path(folder)
        for name in [*subfolders, *names]:
            path = here / name
            relative = path.relative_to(old).as_posix()
            destination = new / relative
            if _owned(relative, owned) or destination.exists() or destination.is_symlink():
                continue
            if path.is_symlink():
                os.symlink(os.readlink(path), destination)
            elif path.is_dir():
                destination.mkdir()
            else:
                try:
                    os.link(path, destination)
                except OSError:
                    shutil.copy2(path, destination)


def _swap(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    os.rename(target, retired / target.name)
    os.rename(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
