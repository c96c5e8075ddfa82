"""The headless core never pulls in the app, the exporters or Textual."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, SAMPLES
from tests.test_derive import CYCLE


def modules_loaded_by(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_model_is_headless() -> None:
    loaded = modules_loaded_by(
        "import model.session, model.sessionfile, model.derive, model.lint, model.ports, model.edits, model.history,"
        " model.capture"
    )
    assert not {name for name in loaded if name.split(".")[0] in {"textual", "tui", "exports"}}


def test_networkx_is_imported_only_to_report_a_deploy_cycle() -> None:
    # networkx costs more at start-up than the whole app: loading and deriving a session must not import it.
    derive_parsed = (
        "from model.derive import derive\nfrom model.sessionfile import parse_session\nderive(parse_session({!r}))"
    )
    assert "networkx" not in modules_loaded_by(derive_parsed.format((SAMPLES / "ecommerce.yaml").read_bytes()))
    assert "networkx" in modules_loaded_by(derive_parsed.format(CYCLE.encode()))


def test_the_app_starts_without_the_derivation() -> None:
    # The worker that derives imports it after the first frame: the start-up path must not.
    loaded = modules_loaded_by("import tui.cli, tui.app, tui.workshop")
    assert "textual.app" in loaded
    assert not {"model.derive", "model.lint", "exports"} & loaded
