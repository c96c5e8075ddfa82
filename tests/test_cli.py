"""The command line: exit codes, messages, and no traceback or file change on bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from model.sessionfile import load_session
from tests.conftest import SAMPLES
from tests.golden import golden_path
from tests.test_derive import CYCLE

PORTSTORM = Path(sys.executable).with_name("portstorm")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert PORTSTORM.exists(), "the portstorm console script is not installed in this environment"
    return subprocess.run(
        [PORTSTORM, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in result.stderr + result.stdout


def test_version_and_help() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"portstorm, version \d+\.\d+\.\d+\n", result.stdout)
    for command in ([], ["new"], ["validate"], ["plan"], ["rules"], ["open"]):
        result = run(*command, "--help")
        assert result.returncode == 0, command
        assert "Usage: portstorm" in result.stdout


def test_new_writes_a_valid_empty_session_and_never_overwrites(tmp_path) -> None:
    path = tmp_path / "back-office.yaml"
    result = run("new", path)
    assert result.returncode == 0, result.stderr
    session = load_session(path)
    assert (session.name, session.app, session.events) == ("Back Office", "back-office", ())
    before = path.read_bytes()
    again = run("new", path, "--name", "Other", "--app", "other")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert path.read_bytes() == before


def test_new_with_explicit_name_and_app(tmp_path) -> None:
    path = tmp_path / "x.yaml"
    assert run("new", path, "--name", "Shop", "--app", "shop").returncode == 0
    assert (load_session(path).name, load_session(path).app) == ("Shop", "shop")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "Bad Slug"], "--app: 'Bad Slug' is not a valid id"),
        (["--name", "  "], "--name: must not be empty"),
    ],
)
def test_new_refuses_bad_names(tmp_path, args, message) -> None:
    result = run("new", tmp_path / "x.yaml", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_new_in_a_missing_folder(tmp_path) -> None:
    result = run("new", tmp_path / "nope" / "x.yaml")
    assert result.returncode == 2
    assert "no such folder" in result.stderr


def test_validate_exit_codes(tmp_path) -> None:
    cycle = tmp_path / "cycle.yaml"
    cycle.write_text(CYCLE)
    broken = tmp_path / "broken.yaml"
    broken.write_text("portstorm: 1\nname: Shop\napp: shop\nevents:\n- name: A Happened\n  context: nowhere\n")

    good = run("validate", SAMPLES / "ecommerce.yaml")
    assert good.returncode == 0
    assert good.stdout.endswith("ecommerce.yaml: 0 errors, 3 warnings, 23 info\n")

    bad = run("validate", cycle)
    assert bad.returncode == 1
    assert "error: deploy cycle" in bad.stdout

    unreadable = run("validate", broken, cycle, SAMPLES / "back-office.yaml")
    assert unreadable.returncode == 2
    assert unreadable.stderr == f"{broken}:6:12: events[0].context: unknown context 'nowhere'\n"
    assert "back-office.yaml: 0 errors, 2 warnings, 3 info" in unreadable.stdout


def test_bad_input_never_changes_the_file_or_shows_a_traceback(tmp_path) -> None:
    inputs = {
        "binary.yaml": bytes(range(256)),
        "bomb.yaml": b"portstorm: 1\nname: x\napp: x\nx-a: &a [1,1,1,1,1,1,1,1,1,1]\n"
        + b"".join(f"x-{i}: &a{i} [{','.join(['*a' if i == 0 else f'*a{i - 1}'] * 10)}]\n".encode() for i in range(6)),
        "tag.yaml": b"portstorm: 1\nname: !!python/object/apply:os.system [ls]\napp: x\n",
        "empty.yaml": b"",
    }
    for name, data in inputs.items():
        path = tmp_path / name
        path.write_bytes(data)
        for command in ("validate", "plan"):
            result = run(command, path)
            assert result.returncode == 2, (name, command)
            assert no_traceback(result)
            assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", result.stderr), result.stderr
            assert path.read_bytes() == data
    assert sorted(item.name for item in tmp_path.iterdir()) == sorted(inputs)


def test_plan_json_is_the_golden_plan() -> None:
    result = run("plan", SAMPLES / "back-office.yaml", "--json")
    assert result.returncode == 0
    assert result.stdout == golden_path(SAMPLES / "back-office.yaml").read_text(encoding="utf-8")
    plan = json.loads(result.stdout)
    assert plan["deploy_waves"] == [["platform"], ["finance"], ["hr"]]


def test_plan_text_fits_80_columns_and_shows_everything() -> None:
    result = run("plan", SAMPLES / "ecommerce.yaml")
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout  # no colour codes in a pipe
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    for heading in ("SERVICES", "FLOWS OVER THE BUS", "DEPLOY WAVES", "PROBLEMS"):
        assert heading in result.stdout
    assert "event-bus from platform" in result.stdout


def test_rules_lists_every_rule() -> None:
    result = run("rules")
    assert result.returncode == 0
    assert "source-of-existence" in result.stdout
    assert "deploy-cycle" in result.stdout


def test_opening_a_broken_file_says_why_before_any_app_starts(tmp_path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("portstorm: 1\nname: [\n")
    result = run(broken)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{broken}:3:1: invalid YAML")
    missing_folder = run(tmp_path / "nowhere" / "x.yaml")
    assert missing_folder.returncode == 2
    assert "no such folder" in missing_folder.stderr


def test_a_mistyped_command_is_not_taken_for_a_file() -> None:
    result = run("plna", "x.yaml")
    assert result.returncode == 2
    assert "no such command 'plna' (did you mean 'plan'?)" in result.stderr


def test_an_internal_error_is_one_line_not_a_traceback(monkeypatch, capsys) -> None:
    from tui import cli

    def explode(_path):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "load_session", explode)
    monkeypatch.delenv("PORTSTORM_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["plan", str(SAMPLES / "ecommerce.yaml")])
    assert exited.value.code == 70
    assert capsys.readouterr().err.startswith("portstorm: internal error: RuntimeError: boom\n")


@pytest.mark.parametrize(("chosen", "paced"), [(None, "120"), ("30", "30")])
def test_the_app_paces_frames_at_120_a_second_unless_told_otherwise(monkeypatch, tmp_path, chosen, paced) -> None:
    # The panels an edit changes follow the board's frame by one frame's pace at most.
    from tui import cli

    opened = {}
    monkeypatch.setattr(cli, "_open_workshop", lambda path, insist: opened.update(fps=cli.os.environ["TEXTUAL_FPS"]))
    monkeypatch.setenv("TEXTUAL_FPS", chosen or "")  # restored after the test, as it was
    if chosen is None:
        monkeypatch.delenv("TEXTUAL_FPS")
    with pytest.raises(SystemExit) as exited:
        cli.main(["open", str(tmp_path / "storm.yaml")])
    assert exited.value.code == 0
    assert opened == {"fps": paced}
