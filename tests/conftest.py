"""Shared helpers for the test suite."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from model.session import Session
from model.sessionfile import parse_session

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_sessions"


def session_from(text: str) -> Session:
    """A session from YAML text written inline in a test (dedented)."""
    return parse_session(textwrap.dedent(text).encode("utf-8"), "test.yaml")


@pytest.fixture
def write_session(tmp_path: Path):
    """Write dedented YAML text (or raw bytes) to a file and return its path."""

    def write(content: str | bytes, name: str = "shop.yaml") -> Path:
        path = tmp_path / name
        data = content if isinstance(content, bytes) else textwrap.dedent(content).encode("utf-8")
        path.write_bytes(data)
        return path

    return write
