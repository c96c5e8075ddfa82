"""Each sample's plan matches its reviewed golden file byte for byte."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLES
from tests.golden import golden_path, plan_json


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.yaml")), ids=lambda path: path.stem)
def test_plan_matches_golden(sample) -> None:
    assert plan_json(sample) == golden_path(sample).read_text(encoding="utf-8"), "run `make golden` and review"
