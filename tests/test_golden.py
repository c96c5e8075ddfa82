"""Each sample's plan matches its reviewed golden file byte for byte."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES
from tests.golden import EXPORT_GOLDEN, export_files, golden_path, plan_json
from tests.validators import executable


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_plan_matches_golden(sample) -> None:
    assert plan_json(sample) == golden_path(sample).read_text(encoding="utf-8"), "run `make golden` and review"


def test_whole_export_matches_golden(tmp_path) -> None:
    executable("dot")  # the golden SVG diagrams come from Graphviz
    written = export_files(tmp_path / "export")
    expected = {
        path.relative_to(EXPORT_GOLDEN).as_posix(): path.read_bytes()
        for path in EXPORT_GOLDEN.rglob("*")
        if path.is_file()
    }
    assert sorted(written) == sorted(expected), "run `make golden` and review"
    for relative, content in expected.items():
        assert written[relative] == content, f"{relative} differs: run `make golden` and review"
