"""Reading and writing session files (format 1).

Loading is strict: safe YAML only, no duplicate keys, no tags beyond YAML's standard
ones, bounded size, depth and alias expansion, and every error names the file, the
line, the column and the path of the bad value. Saving is canonical and atomic.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import ValidationError

from model.session import (
    FORMAT_VERSION,
    Context,
    Event,
    Hotspot,
    Path,
    Policy,
    Record,
    Resource,
    Session,
    did_you_mean,
    reference_errors,
    shared_ends,
)

try:  # libyaml is several times faster; the pure-Python parser gives the same results.
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 16 * 1024 * 1024
"""A session file larger than this is refused (a 10,000-event session is about 3 MB)."""
MAX_ALIAS_VALUES = 10_000
"""YAML aliases may repeat at most this many values in total ("billion laughs" guard)."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted (a session needs five levels)."""
MAX_ERRORS = 50
"""At most this many errors are reported for one file."""

_TAG = "tag:yaml.org,2002:"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One load error, at a place in a file."""

    file: str
    line: int
    column: int
    message: str
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        text = f"{self.file}:{self.line}:{self.column}: {where}{self.message}"
        return text.replace("\r", " ").replace("\n", " ")  # one diagnostic, one line


class SessionError(Exception):
    """A session file that cannot be read, parsed or trusted; nothing was changed."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


def _fail(file: str, message: str, line: int = 1, column: int = 1) -> SessionError:
    return SessionError([Diagnostic(file, line, column, message)])


def format_path(path: Path) -> str:
    """('events', 3, 'fields', 'order id') -> 'events[3].fields["order id"]'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


# ---------------------------------------------------------------- loading


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read and validate a session file, or raise SessionError."""
    return read_session(path)[0]


def read_session(path: str | os.PathLike[str]) -> tuple[Session, bytes]:
    """`load_session`, with the bytes the session was read from."""
    file = os.fspath(path)
    try:
        with open(file, "rb") as stream:
            if not os.path.isfile(file):
                raise _fail(file, "not a regular file")
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise _fail(file, "no such file") from None
    except IsADirectoryError:
        raise _fail(file, "is a directory, not a session file") from None
    except PermissionError:
        raise _fail(file, "permission denied") from None
    except OSError as error:
        raise _fail(file, f"cannot read: {error.strerror or error}") from None
    return parse_session(data, file), data


def parse_session(data: bytes, file: str = "<session>") -> Session:
    """Validate the bytes of a session file, or raise SessionError naming `file`."""
    if len(data) > MAX_FILE_BYTES:
        raise _fail(file, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: not a session file")
    text = _decode(data, file)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the parse allocates many small objects and no cycles
    try:
        session = _plain_session(text)
        if session is not None:
            return session
        # Something needs the strict loader's care, or is wrong: the node tree knows where
        # every value is, so it can say what is wrong and where.
        root = _compose(text, file)
        raw, root = _Converter(file).convert_root(root)
        _check_version(raw, root, file)
        return _validate(raw, root, file)
    finally:
        if gc_was_enabled:
            gc.enable()


def _decode(data: bytes, file: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise _fail(file, "not UTF-8 text (is it a binary file?)", line, column) from None
    if not text.strip():
        raise _fail(file, f"empty file: a session starts with 'portstorm: {FORMAT_VERSION}'")
    return text


def _compose(text: str, file: str) -> yaml.Node:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = (error.problem or error.context or "invalid YAML").strip()
        if "another document" in problem:
            problem = "more than one YAML document: a session is one document"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _fail(file, f"invalid YAML: {problem}", line, column) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, error.position)
        raise _fail(file, f"invalid YAML: {error.reason}", line, column) from None
    except yaml.YAMLError as error:
        raise _fail(file, f"invalid YAML: {error}") from None
    finally:
        loader.dispose()
    if root is None:
        raise _fail(file, f"empty file: a session starts with 'portstorm: {FORMAT_VERSION}'")
    return root


def _line_column(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _at(file: str, node: yaml.Node, message: str, path: Path = ()) -> Diagnostic:
    mark = node.start_mark
    return Diagnostic(file, mark.line + 1, mark.column + 1, message, format_path(path))


class _Converter:
    """Turns a composed YAML node tree into plain Python data, strictly.

    Mapping keys are always text (so `on:` and `yes:` mean what they say); aliases
    are counted so a small file cannot expand into a huge one.
    """

    _scalar_constructor = yaml.constructor.SafeConstructor()

    def __init__(self, file: str) -> None:
        self.file = file
        self.alias_values = 0
        self.seen: set[int] = set()
        self.open: set[int] = set()

    def convert_root(self, root: yaml.Node) -> tuple[dict[str, Any], yaml.MappingNode]:
        if not isinstance(root, yaml.MappingNode):
            raise SessionError(
                [_at(self.file, root, f"a session is a mapping that starts with 'portstorm: {FORMAT_VERSION}'")]
            )
        return self.convert(root, (), 0), root

    def convert(self, node: yaml.Node, path: Path, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if depth >= MAX_DEPTH:
            raise SessionError([_at(self.file, node, f"nested deeper than {MAX_DEPTH} levels", path)])
        key = id(node)
        if key in self.open:
            raise SessionError([_at(self.file, node, "an alias refers to itself", path)])
        if key in self.seen:
            self.alias_values += _size(node)
            if self.alias_values > MAX_ALIAS_VALUES:
                raise SessionError(
                    [_at(self.file, node, f"aliases expand to more than {MAX_ALIAS_VALUES} values", path)]
                )
        self.seen.add(key)
        self.open.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                self.check_tag(node, "seq", path)
                return [self.convert(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]
            self.check_tag(node, "map", path)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                name = self.key(key_node, path)
                if name in result:
                    raise SessionError([_at(self.file, key_node, f"duplicate key {name!r}", path)])
                result[name] = self.convert(value_node, (*path, name), depth + 1)
            return result
        finally:
            self.open.discard(key)

    def key(self, node: yaml.Node, path: Path) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise SessionError([_at(self.file, node, "a key must be plain text", path)])
        if node.tag == _TAG + "merge":
            raise SessionError([_at(self.file, node, "merge keys ('<<') are not supported", path)])
        if not node.tag.startswith(_TAG) or node.tag[len(_TAG) :] not in _SCALAR_TAGS:
            raise SessionError([_at(self.file, node, f"tag {node.tag!r} is not allowed", path)])
        return str(node.value)

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        kind = self.check_tag(node, None, path)
        if kind in ("str", "timestamp"):  # dates stay the text that was typed
            return node.value
        try:
            return self._scalar_constructor.yaml_constructors[_TAG + kind](self._scalar_constructor, node)
        except (ValueError, KeyError, IndexError, yaml.YAMLError):  # PyYAML's readers raise all of these
            raise SessionError([_at(self.file, node, f"{node.value!r} is not a valid {kind}", path)]) from None

    def check_tag(self, node: yaml.Node, expected: str | None, path: Path) -> str:
        kind = node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else None
        allowed = _SCALAR_TAGS if expected is None else (expected,)
        if kind not in allowed:
            raise SessionError(
                [_at(self.file, node, f"tag {node.tag!r} is not allowed: sessions use plain YAML values", path)]
            )
        return kind  # type: ignore[return-value]  # None is not in `allowed`


_SCALAR_TAGS = ("str", "int", "float", "bool", "null", "timestamp")


def _size(node: yaml.Node) -> int:
    """How many values a node stands for once its aliases are expanded (capped)."""
    total = 0
    stack = [node]
    while stack and total <= MAX_ALIAS_VALUES:
        current = stack.pop()
        total += 1
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            stack.extend(value for _, value in current.value)
    return total


def _plain_session(text: str) -> Session | None:
    """The session in `text` when nothing in it needs the strict loader's care, else None.

    Most files are plain: no anchors, aliases or tags, no duplicate keys, nothing wrong.
    Their data is built straight from the parser's events, without the node tree, which
    takes several times the memory of the session itself (two marks per value). Anything
    else, and every file with an error, is left to the strict loader, so its diagnostics
    are the strict loader's.
    """
    loader = _Loader(text)
    try:
        raw = _PlainData(loader).document()
    except (_NotPlain, yaml.YAMLError, ValueError, KeyError, IndexError):
        return None
    finally:
        loader.dispose()
    if "portstorm" not in raw or raw["portstorm"] != FORMAT_VERSION:  # as `_check_version` lets through
        return None
    try:
        session = Session.model_validate(raw)
    except ValidationError:
        return None
    if next(_unknown_keys(session), None) is not None or next(reference_errors(session), None) is not None:
        return None
    return session


class _NotPlain(Exception):
    """Something the strict loader should look at."""


class _PlainData:
    """Builds plain data from parser events as `_Converter` does from nodes, for plain files only."""

    _scalar_constructor = _Converter._scalar_constructor
    _plain_kinds = frozenset(_TAG + kind for kind in _SCALAR_TAGS)
    _text_kinds = frozenset((_TAG + "str", _TAG + "timestamp"))  # dates stay the text that was typed

    def __init__(self, loader: Any) -> None:
        self.next_event = loader.get_event
        self.resolve = loader.resolve
        # The same keys, ids and flags come back thousands of times; PyYAML would resolve
        # each one anew by trying its regular expressions (a third of the time spent here).
        # Each distinct scalar is resolved, and its value built, once; values are immutable.
        self.scalars: dict[tuple[str, tuple[bool, bool]], tuple[str, Any]] = {}

    def document(self) -> dict[str, Any]:
        if not isinstance(self.next_event(), yaml.StreamStartEvent):
            raise _NotPlain
        if not isinstance(self.next_event(), yaml.DocumentStartEvent):
            raise _NotPlain
        root = self.next_event()
        if not isinstance(root, yaml.MappingStartEvent):
            raise _NotPlain
        data = self.value(root, 0)
        if not isinstance(self.next_event(), yaml.DocumentEndEvent):
            raise _NotPlain
        if not isinstance(self.next_event(), yaml.StreamEndEvent):
            raise _NotPlain  # another document
        return data  # type: ignore[no-any-return]  # a mapping, from the root's event

    def value(self, event: Any, depth: int) -> Any:
        if event.anchor is not None:
            raise _NotPlain  # an anchor, or an alias (whose anchor is the name it refers to)
        kind = type(event)
        if kind is yaml.ScalarEvent:
            return self.scalar(event)[1]
        if kind not in (yaml.SequenceStartEvent, yaml.MappingStartEvent) or event.tag is not None:
            raise _NotPlain
        if depth >= MAX_DEPTH:
            raise _NotPlain
        if kind is yaml.SequenceStartEvent:
            items = []
            while type(event := self.next_event()) is not yaml.SequenceEndEvent:
                items.append(self.value(event, depth + 1))
            return items
        result: dict[str, Any] = {}
        while type(event := self.next_event()) is not yaml.MappingEndEvent:
            if type(event) is not yaml.ScalarEvent or event.anchor is not None:
                raise _NotPlain
            self.scalar(event)  # a key is text whatever it looks like, but it must be plain
            if event.value in result:
                raise _NotPlain  # a duplicate key
            result[event.value] = self.value(self.next_event(), depth + 1)
        return result

    def scalar(self, event: Any) -> tuple[str, Any]:
        """The tag and value of a plain scalar (raises _NotPlain for any other)."""
        key = (event.value, event.implicit)
        known = self.scalars.get(key)
        if known is not None:
            return known
        if event.tag is not None:
            raise _NotPlain
        tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag in self._text_kinds:
            value = event.value
        elif tag in self._plain_kinds:
            constructor = self._scalar_constructor
            value = constructor.yaml_constructors[tag](constructor, yaml.ScalarNode(tag, event.value))
        else:
            raise _NotPlain  # merge keys among them
        known = self.scalars[key] = (tag, value)
        return known


def _check_version(raw: dict[str, Any], root: yaml.MappingNode, file: str) -> None:
    version = raw.get("portstorm")
    if "portstorm" not in raw:
        raise SessionError([_at(file, root, f"missing 'portstorm: {FORMAT_VERSION}': is this a portstorm session?")])
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        node = _find(root, ("portstorm",))[0]
        raise SessionError(
            [
                _at(
                    file,
                    node,
                    f"written by a newer portstorm (format {version}); "
                    f"this one reads format {FORMAT_VERSION}: upgrade portstorm",
                    ("portstorm",),
                )
            ]
        )
    if version != FORMAT_VERSION:
        node = _find(root, ("portstorm",))[0]
        raise SessionError([_at(file, node, f"unknown format {version!r}: expected {FORMAT_VERSION}", ("portstorm",))])


def _validate(raw: dict[str, Any], root: yaml.MappingNode, file: str) -> Session:
    try:
        session = Session.model_validate(raw)
    except ValidationError as error:
        found = [_from_pydantic(item, root, file) for item in error.errors(include_url=False)]
        found += [_unknown_key(path, key, model, root, file) for path, key, model in _unknown_keys_raw(raw)]
        raise _sorted_error(found) from None
    problems = [_unknown_key(path, key, model, root, file) for path, key, model in _unknown_keys(session)]
    if not problems:
        problems = [_located(path, message, root, file) for path, message in reference_errors(session)]
    if problems:
        raise _sorted_error(problems)
    return session


def _sorted_error(diagnostics: list[Diagnostic]) -> SessionError:
    unique = sorted(set(diagnostics), key=lambda d: (d.line, d.column, d.path, d.message))
    if len(unique) > MAX_ERRORS:
        rest = len(unique) - MAX_ERRORS
        last = unique[MAX_ERRORS - 1]
        unique = [*unique[:MAX_ERRORS], Diagnostic(last.file, last.line, last.column, f"... and {rest} more errors")]
    return SessionError(unique)


_PARTS: dict[str, type[Record]] = {
    "contexts": Context,
    "events": Event,
    "policies": Policy,
    "infrastructure": Resource,
    "hotspots": Hotspot,
}


def _unknown_keys(session: Session) -> Iterator[tuple[Path, str, type[Record]]]:
    """Keys that are neither fields nor `x-` extensions, in a validated session."""
    for key in session.model_extra or {}:
        if not key.startswith("x-"):
            yield (), key, Session
    for section, model in _PARTS.items():
        for index, record in enumerate(getattr(session, section)):
            for key in record.model_extra or {}:
                if not key.startswith("x-"):
                    yield (section, index), key, model


def _unknown_keys_raw(raw: dict[str, Any]) -> Iterator[tuple[Path, str, type[Record]]]:
    """The same check on raw data, so one run reports schema errors and typos together."""
    for key in raw:
        if key not in Session.model_fields and not key.startswith("x-"):
            yield (), key, Session
    for section, model in _PARTS.items():
        items = raw.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, dict):
                for key in item:
                    if key not in model.model_fields and not key.startswith("x-"):
                        yield (section, index), key, model


def _unknown_key(path: Path, key: str, model: type[Record], root: yaml.Node, file: str) -> Diagnostic:
    node, _ = _find(root, path)
    for key_node, _value in getattr(node, "value", []) if isinstance(node, yaml.MappingNode) else []:
        if key_node.value == key:
            node = key_node
            break
    hint = did_you_mean(key, list(model.model_fields))
    message = f"unknown key {key!r}{hint}; keys of your own must start with 'x-'"
    return _at(file, node, message, (*path, key))


def _find(root: yaml.Node, path: Path) -> tuple[yaml.Node, Path]:
    """The deepest node along `path`, and the part of the path that was found."""
    node = root
    found: Path = ()
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, found = child, (*found, part)
    return node, found


def _located(path: Path, message: str, root: yaml.Node, file: str) -> Diagnostic:
    node, _ = _find(root, path)
    return _at(file, node, message, path)


_TYPE_NAMES = {
    bool: "true/false",
    int: "a number",
    float: "a number",
    type(None): "nothing",
    list: "a list",
    dict: "a mapping",
    str: "text",
}


def _from_pydantic(error: Any, root: yaml.Node, file: str) -> Diagnostic:
    path: Path = tuple(part for part in error["loc"] if not isinstance(part, str) or "[" not in part)
    node, found = _find(root, path)
    kind = error["type"]
    value = error.get("input")
    got = _TYPE_NAMES.get(type(value), type(value).__name__)
    if kind == "missing":
        return _at(file, node, f"missing required key {path[-1]!r}", found)
    if kind == "value_error":
        message = str(error["ctx"]["error"])
    elif kind == "string_type":
        message = f"expected text, got {got}"
        if isinstance(node, yaml.ScalarNode) and not isinstance(value, (list, dict)):
            message += f" (put it in quotes: {node.value!r})"
    elif kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        hint = did_you_mean(value, expected.split(", ")) if isinstance(value, str) else ""
        message = f"expected one of {expected}; got {value!r}{hint}"
    elif kind in ("tuple_type", "list_type"):
        message = f"expected a list, got {got}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        message = f"expected a mapping, got {got}"
    elif kind in ("bool_type", "bool_parsing"):
        message = f"expected true or false, got {value!r}"
    else:
        message = str(error["msg"])
    return _at(file, node, message, path)


# ---------------------------------------------------------------- saving


def dump_session(session: Session) -> str:
    """The canonical text of a session: fixed key order and layout, stable bytes.

    Each record's text is cached by identity: sessions are immutable and an edit shares
    every record it did not touch, so saving (and journaling) after an edit only writes
    YAML for what changed, and only looks up the records between the head and the tail
    of a section that the edit left as they were.
    """
    header = _mapping(
        [
            ("portstorm", _scalar(session.portstorm)),
            ("name", _scalar(session.name)),
            ("app", _scalar(session.app)),
            ("description", _scalar(session.description)),
        ],
        Record(),
    )
    parts = [_serialize(header)]
    for section, items in _SECTIONS:
        records: tuple[Record, ...] = getattr(session, section)
        if not records:
            parts.append(f"{section}: []\n")
            continue
        parts.append(f"{section}:\n")
        parts.append(_section_text(section, records, items))
    if session.extensions:
        parts.append(_serialize(_mapping([], session)))
    return "".join(parts)


def _serialize(node: yaml.Node) -> str:
    text: str = yaml.serialize(node, Dumper=_Dumper, allow_unicode=True, width=_NO_WRAP)
    # A document whose last value is a keep-chomped block scalar ends with a "..." marker;
    # inside the whole session it is just the end of one value.
    return text.removesuffix("...\n")


_section_texts: dict[str, tuple[tuple[Record, ...], list[str], str]] = {}
"""Per section: the records last written, their texts and those texts joined."""


def _section_text(section: str, records: tuple[Record, ...], items: Any) -> str:
    cached = _section_texts.get(section)
    if cached is not None and cached[0] is records:
        return cached[2]
    if cached is None:
        texts = [_record_text(record, items) for record in records]
    else:
        old_records, old_texts, _ = cached
        head, tail = shared_ends(old_records, records)
        middle = [_record_text(record, items) for record in records[head : len(records) - tail]]
        texts = old_texts[:head] + middle + old_texts[len(old_texts) - tail :]
    text = "".join(texts)
    _section_texts[section] = (records, texts, text)  # replaced whole: safe beside a saving thread
    return text


_record_texts: dict[int, tuple[Record, str]] = {}
_RECORD_TEXTS_LIMIT = 100_000


def _record_text(record: Record, items: Any) -> str:
    """One record as an item of its section's block sequence (cached: records are immutable)."""
    cached = _record_texts.get(id(record))
    if cached is not None and cached[0] is record:
        return cached[1]
    text = _serialize(yaml.SequenceNode(_TAG + "seq", [_mapping(items(record), record)], flow_style=False))
    if len(_record_texts) >= _RECORD_TEXTS_LIMIT:
        _record_texts.clear()
    _record_texts[id(record)] = (record, text)  # holding the record keeps its id from being reused
    return text


def record_texts(session: Session) -> dict[str, list[str]]:
    """Each record's text by section: the items of the sections `dump_session` writes."""
    return {
        section: [_record_text(record, items) for record in getattr(session, section)] for section, items in _SECTIONS
    }


def remember_record_texts(session: Session, texts: Mapping[str, list[str]]) -> bool:
    """Take the `record_texts` of `session` worked out elsewhere (another process that read the same bytes).

    They are checked first: a text for every record, and the first and the last of each
    section as this process writes them. Returns whether they were taken.
    """
    for section, items in _SECTIONS:
        records: tuple[Record, ...] = getattr(session, section)
        given = texts.get(section)
        if not isinstance(given, list) or len(given) != len(records) or not all(type(text) is str for text in given):
            return False
        if records and not all(_record_text(records[end], items) == given[end] for end in (0, -1)):
            return False
    if len(_record_texts) + sum(len(texts[section]) for section, _ in _SECTIONS) > _RECORD_TEXTS_LIMIT:
        _record_texts.clear()
    for section, _ in _SECTIONS:
        records = getattr(session, section)
        _record_texts.update((id(record), (record, text)) for record, text in zip(records, texts[section], strict=True))
    return True


def write_record_texts() -> None:
    """`record_texts` of the session file on stdin, as JSON on stdout: `SessionStore.prepare` runs this."""
    gc.disable()  # as `parse_session` does: the work allocates much and frees nothing until the end
    session = parse_session(sys.stdin.buffer.read())
    sys.stdout.buffer.write(json.dumps(record_texts(session), ensure_ascii=False).encode("utf-8"))


def _context_items(context: Context) -> list[tuple[str, yaml.Node | None]]:
    return [
        ("id", _scalar(context.id)),
        ("name", _scalar(context.name)),
        ("owner", _scalar(context.owner)),
        ("uses", _flow_list(context.uses) if context.uses else None),
    ]


def _event_items(event: Event) -> list[tuple[str, yaml.Node | None]]:
    return [
        ("name", _scalar(event.name)),
        ("context", _scalar(event.context)),
        ("command", _scalar(event.command)),
        ("actor", _scalar(event.actor)),
        ("aggregate", _scalar(event.aggregate)),
        ("pivotal", _scalar(True) if event.pivotal else None),
        ("fields", None if event.fields is None else _flow_map(event.fields)),
        ("notes", _scalar(event.notes)),
    ]


def _policy_items(policy: Policy) -> list[tuple[str, yaml.Node | None]]:
    return [("when", _scalar(policy.when)), ("then", _scalar(policy.then)), ("context", _scalar(policy.context))]


def _resource_items(resource: Resource) -> list[tuple[str, yaml.Node | None]]:
    return [("id", _scalar(resource.id)), ("kind", _scalar(resource.kind)), ("owner", _scalar(resource.owner))]


def _hotspot_items(hotspot: Hotspot) -> list[tuple[str, yaml.Node | None]]:
    return [
        ("text", _scalar(hotspot.text)),
        ("about", _scalar(hotspot.about)),
        ("resolved", _scalar(True) if hotspot.resolved else None),
    ]


_SECTIONS = (
    ("contexts", _context_items),
    ("events", _event_items),
    ("policies", _policy_items),
    ("infrastructure", _resource_items),
    ("hotspots", _hotspot_items),
)


def _mapping(items: list[tuple[str, yaml.Node | None]], record: Record) -> yaml.MappingNode:
    pairs = [(_scalar(key), value) for key, value in items if value is not None]
    pairs += [(_scalar(key), _representer.represent_data(value)) for key, value in record.extensions.items()]
    return yaml.MappingNode(_TAG + "map", pairs, flow_style=False)


def _flow_list(values: tuple[str, ...]) -> yaml.SequenceNode:
    return yaml.SequenceNode(_TAG + "seq", [_scalar(value) for value in values], flow_style=True)


def _flow_map(fields: Mapping[str, str]) -> yaml.MappingNode:
    pairs = [(_scalar(key), _scalar(value)) for key, value in fields.items()]
    return yaml.MappingNode(_TAG + "map", pairs, flow_style=True)


def _scalar(value: str | int | bool | None) -> yaml.ScalarNode | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return yaml.ScalarNode(_TAG + "bool", "true" if value else "false")
    if isinstance(value, int):
        return yaml.ScalarNode(_TAG + "int", str(value))
    style = "|" if "\n" in value else None
    return yaml.ScalarNode(_TAG + "str", value, style=style)


_representer = yaml.representer.SafeRepresenter(default_flow_style=False)
_NO_WRAP = 1 << 20  # one line per value keeps diffs of the file small


def save_session(session: Session, path: str | os.PathLike[str]) -> bool:
    """Write `session` atomically, keeping the previous file as `<path>~`.

    Returns False when the file already holds exactly these bytes (nothing written).
    """
    return save_bytes(dump_session(session).encode("utf-8"), FilePath(path))


def save_bytes(data: bytes, target: FilePath) -> bool:
    """`save_session` for bytes already dumped (the app dumps once, then compares and saves)."""
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    if target.exists():
        _keep_backup(target)
    write_atomic(target, data)
    return True


def write_atomic(target: FilePath, data: bytes, *, exclusive: bool = False) -> None:
    """Write to a temporary file beside `target`, flush it, then move it into place.

    At every instant `target` is either its old content or the new one. With
    `exclusive`, an existing `target` is never replaced (FileExistsError).
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o666 & ~current_umask())
        if exclusive:
            os.link(temporary, target)
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        _remove(FilePath(temporary))
        raise
    _sync_folder(target.parent)


def _keep_backup(target: FilePath) -> None:
    """Make `<target>~` the current file, atomically (a hard link, or a copy)."""
    backup = target.with_name(target.name + "~")
    staging = target.with_name(f".{target.name}~.{os.getpid()}.tmp")
    try:
        _remove(staging)
        os.link(target, staging)
        os.replace(staging, backup)
        _remove(staging)  # left in place when the backup already was this very file (a no-op rename)
    except OSError:  # no hard links here (or no room): copy instead
        _remove(staging)
        write_atomic(backup, target.read_bytes())


def _remove(path: FilePath) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def current_umask() -> int:
    """The process's file creation mask (reading it means setting it, so it is set back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_folder(folder: FilePath) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
