"""Writing an export: all or nothing, only inside its folder, keeping what it does not own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from exports import bundle
from exports.bundle import MARKER, BlockedByProblems, ExportError, export
from model.sessionfile import load_session
from tests.conftest import SAMPLES, hostile_session, session_from
from tests.test_cli import run
from tests.test_derive import CYCLE

SHOP = load_session(SAMPLES / "back-office.yaml")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def test_export_writes_the_chosen_formats_and_a_marker(tmp_path) -> None:
    result = export(SHOP, tmp_path / "out", ["ports"])
    assert result.folder == (tmp_path / "out").resolve()
    written = set(tree(tmp_path / "out"))
    assert written == {*result.written, MARKER}
    assert "ports/hr.yaml" in written


def test_the_same_session_gives_byte_identical_files(tmp_path) -> None:
    export(SHOP, tmp_path / "a", ["ports", "cloudformation"])
    export(SHOP, tmp_path / "b", ["ports", "cloudformation"])
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_failure_leaves_the_folder_as_it_was(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    export(SHOP, out, ["ports"])
    before = tree(out)
    real_write = bundle._write_file

    def fail_midway(root, relative, content):
        if relative.endswith("hr.yaml"):
            raise OSError(28, "No space left on device")
        real_write(root, relative, content)

    monkeypatch.setattr(bundle, "_write_file", fail_midway)
    with pytest.raises(ExportError, match="No space left"):
        export(SHOP.model_copy(update={"name": "Changed"}), out, ["ports", "cloudformation"])
    assert tree(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]  # no staging folder left behind


def test_a_foreign_folder_is_never_replaced(tmp_path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not empty"):
        export(SHOP, tmp_path, ["ports"])
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_re_export_replaces_only_what_the_chosen_formats_own(tmp_path) -> None:
    out = tmp_path / "out"
    export(SHOP, out, ["ports", "cloudformation"])
    (out / "NOTES.md").write_text("the team's own notes")
    (out / "ports" / "retired.yaml").write_text("a manifest of a service that no longer exists")
    cloudformation = tree(out / "cloudformation")
    export(SHOP, out, ["ports"])
    assert (out / "NOTES.md").read_text() == "the team's own notes"
    assert not (out / "ports" / "retired.yaml").exists()
    assert tree(out / "cloudformation") == cloudformation


def test_nothing_is_written_through_a_symlink_in_the_folder(tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hr.yaml").write_text("not yours")
    out = tmp_path / "out"
    export(SHOP, out, ["cloudformation"])
    (out / "ports").symlink_to(outside)
    (out / "report.html").symlink_to(outside / "hr.yaml")
    export(SHOP, out, ["ports"])
    assert (outside / "hr.yaml").read_text() == "not yours"
    assert sorted(item.name for item in outside.iterdir()) == ["hr.yaml"]
    assert not (out / "ports").is_symlink()
    assert (out / "report.html").is_symlink()  # the user's own link, kept as it was


@pytest.mark.parametrize("relative", ["../escape.txt", "/etc/passwd", "a/../../b", ""])
def test_paths_outside_the_folder_are_refused(tmp_path, relative) -> None:
    with pytest.raises(ExportError, match="outside the export folder"):
        bundle._write_file(tmp_path, relative, "x")
    assert list(tmp_path.iterdir()) == []


def test_a_session_with_errors_is_refused_unless_forced(tmp_path) -> None:
    tangle = session_from(CYCLE)
    with pytest.raises(BlockedByProblems):
        export(tangle, tmp_path / "out", ["ports"])
    assert not (tmp_path / "out").exists()
    export(tangle, tmp_path / "out", ["ports"], force=True)
    assert (tmp_path / "out" / "ports" / "hr.yaml").exists()


@pytest.mark.parametrize(("stage", "formats"), [("Bad Stage", ["ports"]), ("dev", ["ports", "pdf"])])
def test_bad_options_are_refused(tmp_path, stage, formats) -> None:
    with pytest.raises(ExportError):
        export(SHOP, tmp_path / "out", formats, stage=stage)
    assert not (tmp_path / "out").exists()


def test_cli_export(tmp_path) -> None:
    result = run("export", SAMPLES / "back-office.yaml", "--out", tmp_path / "out", "--format", "ports")
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'out' / 'ports' / 'hr.yaml'}" in result.stdout
    assert result.stdout.endswith("files in " + str(tmp_path / "out") + "\n")


def test_cli_export_refuses_errors_and_bad_formats(tmp_path) -> None:
    cycle = tmp_path / "cycle.yaml"
    cycle.write_text(CYCLE)
    refused = run("export", cycle, "--out", tmp_path / "out")
    assert refused.returncode == 1
    assert "deploy-cycle" in refused.stderr
    assert "nothing was exported" in refused.stderr
    assert not (tmp_path / "out").exists()
    forced = run("export", cycle, "--out", tmp_path / "out", "--format", "ports", "--force")
    assert forced.returncode == 0
    bad = run("export", cycle, "--out", tmp_path / "out", "--format", "ports,pdf")
    assert bad.returncode == 2
    assert "--format" in bad.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_parent_is_reported(tmp_path) -> None:  # pragma: no cover - CI runs as root
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    with pytest.raises(ExportError, match="cannot write"):
        export(SHOP, locked / "out", ["ports"])


def test_git_sees_a_clean_diff_after_a_re_export(tmp_path) -> None:
    # Reviewers keep exports in git: re-exporting an unchanged session changes nothing.
    out = tmp_path / "out"
    export(SHOP, out, ["ports", "cloudformation"])
    subprocess.run(["git", "init", "-q", str(out)], check=True)
    subprocess.run(["git", "-C", str(out), "add", "-A"], check=True)
    identity = ["-c", "user.name=Reviewer", "-c", "user.email=reviewer@example.invalid"]
    subprocess.run(["git", "-C", str(out), *identity, "commit", "-qm", "export"], check=True)
    export(SHOP, out, ["ports", "cloudformation"])
    status = subprocess.run(
        ["git", "-C", str(out), "status", "--porcelain"], capture_output=True, text=True, check=True
    )
    assert status.stdout == ""


def test_a_hostile_session_exports_every_format_inside_its_folder(tmp_path) -> None:
    result = export(hostile_session(), tmp_path / "out")
    assert [item.name for item in tmp_path.iterdir()] == ["out"]
    for relative in result.written:
        assert (tmp_path / "out" / relative).resolve().is_relative_to((tmp_path / "out").resolve())
    assert {relative.split("/")[0] for relative in result.written} == {
        "ports",
        "cloudformation",
        "serverless",
        "asyncapi",
        "diagrams",
        "report.html",
        "ARCHITECTURE.md",
    }
