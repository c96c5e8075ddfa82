"""Fuzzing: hostile and broken input never crashes portstorm, and every error is one located line.

The sample sessions are mutated (truncated, corrupted, retyped, nested, duplicated,
bloated, shuffled) and fed to the loader and to `portstorm validate`. A few hundred
inputs by default; `PORTSTORM_LONG_TESTS=1` tries at least 10,000.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.sessionfile import MAX_FILE_BYTES, SessionError, load_session, parse_session
from tests.conftest import SAMPLES
from tui.cli import main

LONG = os.environ.get("PORTSTORM_LONG_TESTS") == "1"
EXAMPLES = 10_000 if LONG else 300
CLI_EXAMPLES = EXAMPLES // 5
PER_EXAMPLE = timedelta(seconds=2)

SAMPLE_BYTES = tuple(path.read_bytes() for path in sorted(SAMPLES.glob("*.yaml")))
FIGURES: Counter[str] = Counter()
"""What the fuzz tests tried, for the reliability report (printed by the last test)."""

LINE_BREAKS = (b"\n", b"\r", "\u0085".encode(), "\u2028".encode(), "\u2029".encode())


# ---------------------------------------------------------------- mutations


def position(draw: st.DrawFn, data: bytes) -> int:
    return draw(st.integers(0, len(data)))


def line_index(draw: st.DrawFn, lines: list[bytes]) -> int:
    return draw(st.integers(0, len(lines) - 1))


def truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: position(draw, data)]


def insert_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    at = position(draw, data)
    return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]


def replace_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    at = position(draw, data)
    new = draw(st.binary(min_size=1, max_size=16))
    return data[:at] + new + data[at + len(new) :]


def insert_unicode(draw: st.DrawFn, data: bytes) -> bytes:
    """Any code point a file can hold (control characters included), at any byte."""
    at = position(draw, data)
    return data[:at] + draw(st.text(min_size=1, max_size=20)).encode() + data[at:]


short_texts = st.sampled_from(["", "-", "+", ":", "0x", "0b", "0o", "maybe", "1\n", "a\nb", ".inf", "1_0"]) | st.text(
    max_size=12
)
tagged_values = st.builds(
    lambda tag, text, quoted: f"!!{tag} {json.dumps(text, ensure_ascii=False) if quoted else text}".encode(),
    st.sampled_from(
        ["str", "int", "float", "bool", "null", "timestamp", "binary", "set", "python/object/apply:os.system"]
    ),
    short_texts,
    st.booleans(),
)
yaml_values = st.one_of(
    st.sampled_from(
        [
            b"[a, b]",
            b"{a: 1}",
            b"[]",
            b"{}",
            b"-1.5e300",
            b".nan",
            b"true",
            b"null",
            b"~",
            b"''",
            b"2024-01-01",
            b"0x1F",
            b"&anchor x",
            b"*anchor",
            b"*nowhere",
            b"|\n  two\n  lines",
            b"\n  - a\n  - b",
            b"\n  k: v",
            b"? complex\n: key",
            b"<<: *anchor",
        ]
    ),
    st.integers().map(lambda number: str(number).encode()),
    st.floats().map(lambda number: str(number).encode()),
    tagged_values,
)


def set_value(draw: st.DrawFn, data: bytes, value: bytes) -> bytes:
    """`data` with the value of one `key: value` line (or one list item) replaced by `value`."""
    lines = data.split(b"\n")
    index = line_index(draw, lines)
    line = lines[index]
    head, colon, _ = line.partition(b": ")
    if not colon:
        head, colon, _ = line.partition(b"- ")
    lines[index] = head + (colon or b": ") + value
    return b"\n".join(lines)


def wrong_type(draw: st.DrawFn, data: bytes) -> bytes:
    return set_value(draw, data, draw(yaml_values))


def deep_nesting(draw: st.DrawFn, data: bytes) -> bytes:
    depth = draw(st.integers(1, 300))
    shapes = [b"[" * depth + b"]" * depth, b"{a: " * depth + b"1" + b"}" * depth, b"- " * depth + b"x"]
    return set_value(draw, data, draw(st.sampled_from(shapes)))


def huge_string(draw: st.DrawFn, data: bytes) -> bytes:
    """A value of up to about 1 MB: a short drawn text repeated (cheap to generate and shrink)."""
    chunk = draw(st.text(min_size=1, max_size=8))
    text = chunk * (draw(st.integers(1, 1_000_000)) // len(chunk.encode()) + 1)
    quoted = draw(st.booleans())
    value = json.dumps(text, ensure_ascii=False) if quoted else text
    return set_value(draw, data, value.encode())


def duplicate_lines(draw: st.DrawFn, data: bytes) -> bytes:
    """A run of lines repeated right after itself: duplicate keys, items and sections."""
    lines = data.split(b"\n")
    start = line_index(draw, lines)
    end = draw(st.integers(start + 1, min(len(lines), start + 8)))
    return b"\n".join(lines[:end] + lines[start:end] + lines[end:])


def unknown_key(draw: st.DrawFn, data: bytes) -> bytes:
    """A new key, indented like the line it follows."""
    lines = data.split(b"\n")
    index = line_index(draw, lines)
    line = lines[index]
    indent = len(line) - len(line.lstrip(b" -"))
    key = draw(
        st.sampled_from(["contxt", "nmae", "evnts", "x-mine", "portstorm", "<<", "on", "yes", "1", "'a b'"])
        | st.text(max_size=10)
    )
    new = b" " * indent + key.encode() + b": " + draw(yaml_values)
    return b"\n".join([*lines[: index + 1], new, *lines[index + 1 :]])


def swap_lines(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    first, second = line_index(draw, lines), line_index(draw, lines)
    lines[first], lines[second] = lines[second], lines[first]
    return b"\n".join(lines)


def remove_line(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    del lines[line_index(draw, lines)]
    return b"\n".join(lines)


MUTATIONS = (
    truncate,
    insert_bytes,
    replace_bytes,
    insert_unicode,
    wrong_type,
    deep_nesting,
    huge_string,
    duplicate_lines,
    unknown_key,
    swap_lines,
    remove_line,
)


@st.composite
def mutated_sessions(draw: st.DrawFn) -> bytes:
    """A sample session after one to four mutations."""
    data = draw(st.sampled_from(SAMPLE_BYTES))
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return data


# ---------------------------------------------------------------- the loader


def assert_located(error: SessionError, data: bytes, file: str) -> None:
    """Every diagnostic names `file`, a line and column inside the data, and renders as one line."""
    assert error.diagnostics
    # libyaml puts the end of a file that lacks a final line break on the line after it.
    last_line = sum(data.count(brk) for brk in LINE_BREAKS) + 2
    for diagnostic in error.diagnostics:
        text = str(diagnostic)
        assert diagnostic.file == file
        assert 1 <= diagnostic.line <= last_line, text
        assert diagnostic.column >= 1, text
        assert text.startswith(f"{file}:{diagnostic.line}:{diagnostic.column}: "), text
        assert len(text.splitlines()) == 1, f"a diagnostic spans lines: {text!r}"


def check_parse(data: bytes) -> None:
    FIGURES["parse: tried"] += 1
    try:
        parse_session(data, "fuzz.yaml")
    except SessionError as error:
        FIGURES["parse: rejected"] += 1
        assert_located(error, data, "fuzz.yaml")
    else:
        FIGURES["parse: loaded"] += 1


@settings(
    max_examples=EXAMPLES,
    deadline=PER_EXAMPLE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mutated_sessions())
def test_mutated_sessions_load_or_fail_with_located_one_line_errors(data: bytes) -> None:
    """parse_session returns a Session or raises SessionError with located one-line diagnostics."""
    check_parse(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"portstorm: !!bool\nname: Shop\napp: shop\n", id="bool-tag-empty"),
        pytest.param(b"portstorm: 1\nname: !!bool maybe\napp: shop\n", id="bool-tag-not-a-bool"),
        pytest.param(b"portstorm: !!int\nname: Shop\napp: shop\n", id="int-tag-empty"),
        pytest.param(b"portstorm: !!int '-'\n", id="int-tag-only-a-sign"),
        pytest.param(b"portstorm: 1\nname: !!float\napp: shop\n", id="float-tag-empty"),
        pytest.param(b'portstorm: 1\nname: !!int "1\\n"\napp: shop\n', id="int-tag-newline-in-hint"),
        pytest.param(b'portstorm: 1\nname: !!null "a\\nb"\napp: shop\n', id="null-tag-newline-in-hint"),
    ],
)
def test_explicit_tags_with_impossible_values(data: bytes) -> None:
    """Found by the fuzzer: a standard tag on a value it cannot hold is a located one-line error."""
    with pytest.raises(SessionError) as caught:
        parse_session(data, "fuzz.yaml")
    assert_located(caught.value, data, "fuzz.yaml")


# ---------------------------------------------------------------- the command line


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """`portstorm validate PATH` in-process: its exit code, stdout and stderr."""
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert isinstance(exited.value.code, int)
    return exited.value.code, out, err


def assert_clean_refusal(code: int, out: str, err: str, path: Path) -> None:
    assert code in (0, 1, 2), err
    assert "Traceback" not in out + err
    assert "internal error" not in out + err
    if code == 2:
        assert err
        assert all(line.startswith(f"{path}:") for line in err.splitlines()), err


@settings(
    max_examples=CLI_EXAMPLES,
    deadline=PER_EXAMPLE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(data=mutated_sessions())
def test_validate_never_crashes_or_touches_the_file(
    data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`portstorm validate` exits 0, 1 or 2 without a traceback and leaves the file as it was."""
    monkeypatch.delenv("PORTSTORM_DEBUG", raising=False)
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    code, out, err = validate(path, capsys)
    FIGURES[f"cli: exit {code}"] += 1
    assert_clean_refusal(code, out, err, path)
    assert path.read_bytes() == data
    assert path.stat().st_mtime_ns == 1_000_000_000_000_000_000
    assert list(tmp_path.iterdir()) == [path]


# ---------------------------------------------------------------- specific attacks


def billion_laughs(levels: int) -> bytes:
    lines = [
        "portstorm: 1",
        "name: Shop",
        "app: shop",
        'x-l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    lines += [f"x-l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines).encode() + b"\n"


def write_50_mb(path: Path) -> None:
    """A valid start, then NUL bytes up to 50 MB (sparse): parsing it would fail on the NULs instead."""
    with path.open("wb") as stream:
        stream.write(b"portstorm: 1\nname: Shop\napp: shop\n")
        stream.truncate(50 * 1024 * 1024)


def test_a_50_mb_file_is_refused_by_its_size_without_parsing(tmp_path: Path) -> None:
    """The size limit comes first: a huge file is refused in well under a second and never parsed."""
    path = tmp_path / "huge.yaml"
    write_50_mb(path)
    started = time.perf_counter()
    with pytest.raises(SessionError) as caught:
        load_session(path)
    assert time.perf_counter() - started < 2
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{path}:1:1: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: not a session file"
    ]


@pytest.mark.parametrize("seed", range(8))
def test_random_binary_data_is_refused(seed: int) -> None:
    """Random bytes, alone or after a valid header, are a located error (never a crash)."""
    noise = random.Random(seed).randbytes(64 * (seed + 1))
    for data in (noise, b"portstorm: 1\nname: Shop\napp: shop\n" + noise):
        with pytest.raises(SessionError) as caught:
            parse_session(data, "fuzz.yaml")
        assert_located(caught.value, data, "fuzz.yaml")


@pytest.mark.parametrize(
    "template",
    [
        "portstorm: 1\nname: !!python/object/apply:os.system [{command}]\napp: shop\n",
        "portstorm: 1\nname: !!python/object/apply:os.system {{args: [{command}]}}\napp: shop\n",
        "portstorm: 1\nname: Shop\napp: shop\nx-run: [!!python/object/apply:os.system [{command}]]\n",
        "portstorm: 1\n!!python/object/apply:os.system [{command}]: key\n",
        "!!python/object/apply:os.system [{command}]\n",
        "portstorm: 1\nname: !!python/object/new:os.system [{command}]\napp: shop\n",
        "portstorm: 1\nname: !<tag:yaml.org,2002:python/object/apply:os.system> [{command}]\napp: shop\n",
        "%TAG !p! tag:yaml.org,2002:python/\n---\nportstorm: 1\nname: !p!object/apply:os.system [{command}]\n",
        "portstorm: 1\nname: !!python/name:os.system\napp: shop\n",
    ],
)
def test_python_tags_never_run_code(template: str, tmp_path: Path) -> None:
    """`!!python/...` tags in any position are refused and the command is never run."""
    marker = tmp_path / "ran"
    data = template.format(command=json.dumps(f"touch {marker}")).encode()
    with pytest.raises(SessionError) as caught:
        parse_session(data, "fuzz.yaml")
    assert_located(caught.value, data, "fuzz.yaml")
    assert not marker.exists()


def make_unreadable(path: Path) -> None:
    path.write_bytes(SAMPLE_BYTES[0])
    path.chmod(0)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(write_50_mb, id="50-mb"),
        pytest.param(lambda path: path.write_bytes(random.Random(1).randbytes(4096)), id="random-binary"),
        pytest.param(
            lambda path: path.write_text("portstorm: 1\nname: !!python/object/apply:os.system [ls]\napp: x\n"),
            id="os-system-tag",
        ),
        pytest.param(lambda path: path.write_bytes(billion_laughs(9)), id="billion-laughs-9-levels"),
        pytest.param(Path.mkdir, id="directory"),
        pytest.param(lambda path: None, id="missing"),
        pytest.param(
            make_unreadable,
            id="unreadable",
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file"),
        ),
    ],
)
def test_validate_refuses_hostile_files_in_one_line(
    make, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`portstorm validate` on an attack file exits 2 with one located line, quickly."""
    monkeypatch.delenv("PORTSTORM_DEBUG", raising=False)
    path = tmp_path / "attack.yaml"
    make(path)
    started = time.perf_counter()
    code, out, err = validate(path, capsys)
    assert time.perf_counter() - started < 5
    assert code == 2
    assert_clean_refusal(code, out, err, path)
    assert len(err.splitlines()) == 1, err


# ---------------------------------------------------------------- figures


def test_zz_fuzz_figures(capsys: pytest.CaptureFixture[str], record_property) -> None:
    """Runs last: prints how many inputs were tried, loaded and rejected (for the reliability report)."""
    if not FIGURES["parse: tried"]:
        pytest.skip("the fuzz test of the loader did not run")
    for name, count in sorted(FIGURES.items()):
        record_property(name, count)
    with capsys.disabled():
        print("\nfuzz figures: " + ", ".join(f"{name} {count}" for name, count in sorted(FIGURES.items())))
    if FIGURES["parse: tried"] >= EXAMPLES:  # a full run: the mutations make both kinds of input
        assert FIGURES["parse: loaded"]
        assert FIGURES["parse: rejected"]
