"""report.html in a real browser: no errors, no requests, user text shown as text."""

from __future__ import annotations

import struct

import pytest

from exports.bundle import export
from model.derive import derive
from model.sessionfile import load_session
from tests.browser import open_page
from tests.conftest import HOSTILE_TEXTS, SAMPLES, hostile_session

EXPRESSIONS = {
    "scripts": "document.scripts.length",
    "text": "document.body.innerText",
    "svgs": "document.querySelectorAll('figure svg').length",
    "title": "document.title",
    "width": "document.documentElement.scrollWidth",
}


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("name", ["ecommerce", "hostile"])
def test_report_loads_cleanly_in_chromium(tmp_path, name) -> None:
    session = hostile_session() if name == "hostile" else load_session(SAMPLES / f"{name}.yaml")
    export(session, tmp_path / "out", ["html"])
    page = tmp_path / "out" / "report.html"
    report = open_page(page, tmp_path / "report.png", EXPRESSIONS)
    assert report.console_errors == []
    assert report.exceptions == []
    assert report.requests == []
    assert report.failed_loads == []
    assert png_size(tmp_path / "report.png") == (1280, 900)
    values = report.values
    assert values["scripts"] == 0
    assert values["title"] == f"{session.name}: architecture"
    assert values["width"] <= 1280, "the page scrolls sideways"
    architecture = derive(session)
    assert values["svgs"] == 2 + len(session.contexts)
    for service in architecture.services:
        assert service.name in values["text"]
    for flow in architecture.flows:
        assert flow.event.split("\n")[0] in values["text"]


def test_hostile_text_is_shown_as_text(tmp_path) -> None:
    export(hostile_session(), tmp_path / "out", ["html"])
    report = open_page(tmp_path / "out" / "report.html", tmp_path / "report.png", EXPRESSIONS)
    text = report.values["text"]
    for hostile in HOSTILE_TEXTS:
        assert hostile.split("\n")[0] in text, hostile
    assert "<script>alert(1)</script>" in text
