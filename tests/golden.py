"""The golden files: the expected `plan --json` of every sample session.

`make golden` (python -m tests.golden) rewrites them; review the diff like code.
"""

from __future__ import annotations

import json
from pathlib import Path

from model.derive import derive
from model.sessionfile import load_session
from tests.conftest import SAMPLES

GOLDEN = Path(__file__).resolve().parent / "golden"


def plan_json(sample: Path) -> str:
    return json.dumps(derive(load_session(sample)).as_dict(), indent=2, ensure_ascii=False) + "\n"


def golden_path(sample: Path) -> Path:
    return GOLDEN / f"{sample.stem}.plan.json"


def rewrite() -> None:
    for sample in sorted(SAMPLES.glob("*.yaml")):
        golden_path(sample).write_text(plan_json(sample), encoding="utf-8")
        print(f"rewrote {golden_path(sample).relative_to(Path.cwd())}")


if __name__ == "__main__":
    rewrite()
