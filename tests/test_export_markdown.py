"""ARCHITECTURE.md: read by a CommonMark + GitHub-tables parser, Mermaid blocks by Mermaid's."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from exports.bundle import export
from exports.markdown import text
from model.derive import derive
from model.sessionfile import load_session
from tests.conftest import HOSTILE_TEXTS, SAMPLES, hostile_session
from tests.validators import check_mermaid


class _Reader(HTMLParser):
    """The elements and the visible text of rendered Markdown."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append(tag)

    def handle_data(self, data) -> None:
        self.chunks.append(data)


def read(markdown: str) -> tuple[_Reader, list]:
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    tokens = parser.parse(markdown)
    reader = _Reader()
    reader.feed(parser.renderer.render(tokens, parser.options, {}))
    return reader, tokens


@pytest.fixture(scope="module", params=["ecommerce", "hostile"])
def rendered(request, tmp_path_factory):
    session = hostile_session() if request.param == "hostile" else load_session(SAMPLES / f"{request.param}.yaml")
    folder = tmp_path_factory.mktemp(request.param)
    export(session, folder, ["markdown"])
    markdown = (folder / "ARCHITECTURE.md").read_text(encoding="utf-8")
    return session, markdown, *read(markdown)


def test_tables_keep_their_shape(rendered) -> None:
    _session, _markdown, reader, _tokens = rendered
    assert reader.rows
    tables, current = [], []
    for row in reader.rows:
        if row and row[0] == "th" and current:
            tables.append(current)
            current = []
        current.append(len(row))
    tables.append(current)
    for table in tables:
        assert len(set(table)) == 1, "a cell broke out of its table"


def test_user_text_stays_text(rendered) -> None:
    session, _markdown, reader, _tokens = rendered
    assert "script" not in reader.tags
    assert "b" not in reader.tags
    visible = "".join(reader.chunks)
    for event in session.events:
        assert event.name.split("\n")[0] in visible


def test_every_mermaid_block_parses(rendered, tmp_path) -> None:
    session, _markdown, _reader, tokens = rendered
    blocks = [token.content for token in tokens if token.type == "fence" and token.info == "mermaid"]
    assert len(blocks) == 2 + len(session.contexts)
    files = []
    for index, block in enumerate(blocks):
        path = tmp_path / f"block-{index}.mmd"
        path.write_text(block, encoding="utf-8")
        files.append(path)
    check_mermaid(files)


def test_sections_a_reviewer_expects(rendered) -> None:
    session, markdown, _reader, _tokens = rendered
    architecture = derive(session)
    for heading in ("## Problems", "## Deploy order", "## Services and their ports", "## Flows over the bus"):
        assert f"\n{heading}\n" in markdown
    for number, wave in enumerate(architecture.deploy_waves, start=1):
        assert f"{number}. **Wave {number}**: " + ", ".join(f"`{item}`" for item in wave) in markdown


@pytest.mark.parametrize("value", HOSTILE_TEXTS)
def test_text_escapes_every_hostile_value(value) -> None:
    reader, _tokens = read(f"| a |\n|---|\n| {text(value)} |\n")
    assert [len(row) for row in reader.rows] == [1, 1]
    assert "".join(reader.chunks).replace("\n", "") == "a" + value.replace("\n", "")
