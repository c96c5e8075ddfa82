"""The golden files: the expected `plan --json` of every sample session, and the whole
export of the e-commerce sample.

`make golden` (python -m tests.golden) rewrites them; review the diff like code.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from exports.bundle import export
from model.derive import derive
from model.sessionfile import load_session
from tests.conftest import SAMPLES

GOLDEN = Path(__file__).resolve().parent / "golden"


def plan_json(sample: Path) -> str:
    return json.dumps(derive(load_session(sample)).as_dict(), indent=2, ensure_ascii=False) + "\n"


def golden_path(sample: Path) -> Path:
    return GOLDEN / f"{sample.stem}.plan.json"


EXPORT_SAMPLE = SAMPLES / "ecommerce.yaml"
EXPORT_GOLDEN = GOLDEN / "ecommerce-export"


def export_files(folder: Path) -> dict[str, bytes]:
    """Every file of a whole export of the e-commerce sample, written into `folder`."""
    export(load_session(EXPORT_SAMPLE), folder)
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def rewrite() -> None:
    for sample in sorted(SAMPLES.glob("*.yaml")):
        golden_path(sample).write_text(plan_json(sample), encoding="utf-8")
        print(f"rewrote {golden_path(sample).relative_to(Path.cwd())}")
    if shutil.which("dot") is None:
        raise SystemExit("Graphviz is needed to rewrite the export golden files (make validators)")
    with tempfile.TemporaryDirectory() as scratch:
        export_files(Path(scratch) / "export")
        shutil.rmtree(EXPORT_GOLDEN, ignore_errors=True)
        shutil.copytree(Path(scratch) / "export", EXPORT_GOLDEN)
    print(f"rewrote {EXPORT_GOLDEN.relative_to(Path.cwd())}/")


if __name__ == "__main__":
    rewrite()
