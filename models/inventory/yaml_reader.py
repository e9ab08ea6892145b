"""Streaming YAML reader that keeps the line of every key and item, for precise inventory errors."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from models.inventory.problems import Problem
from models.yaml_limits import AliasBudget, YamlLimitError, check_size

# An inventory of 2,000,000 servers is a few hundred MB of YAML; beyond this it is a mistake.
MAX_INVENTORY_BYTES = 1024 * 1024 * 1024

# libyaml's parser is about ten times faster than the pure-Python one; both emit the same events.
_Loader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

# Scalars are kept as text and typed later by the field that holds them (so serial 0012 stays
# "0012" and row NO stays "NO"); only the plain null spellings become None.
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TEXT_TAGS = frozenset(
    (
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "!",
    )
)


class YMap(dict[str, Any]):
    """A mapping that remembers its own line and, in key order, the line of each key."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines = array("l")

    def line_of(self, key: str) -> int:
        for k, line in zip(self, self.key_lines, strict=False):
            if k == key:
                return line
        return self.line


class YList(list[Any]):
    """A sequence that remembers its own line and the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines = array("l")


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_line", "merged")

    def __init__(self, container: YMap | YList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.key: Any = None
        self.key_line = 0
        self.merged: set[str] | None = None


# Called with each finished item of the top-level "sites" list and the top-level mapping as far
# as it is read; returning True consumes the item so that its tree can be freed at once.
SiteSink = Callable[[YMap, YMap], bool]


def read_yaml(
    path: Path, display: str, problems: list[Problem], sink: SiteSink | None = None
) -> Any:
    """Parse one YAML document into YMap/YList/str/None; problems are appended, not raised."""
    try:
        check_size(path, display, MAX_INVENTORY_BYTES)
    except YamlLimitError as exc:
        problems.append(Problem(display, exc.line, "yaml", exc.reason))
        return None
    with path.open("rb") as stream:
        loader = _Loader(stream)
        try:
            return _build(loader, display, problems, sink)
        except YamlLimitError as exc:
            problems.append(Problem(display, exc.line, "yaml", exc.reason))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            message = exc.problem or exc.context or str(exc)
            if exc.context and exc.context_mark is not None and exc.problem_mark is not None:
                message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
            problems.append(Problem(display, line, "yaml", f"syntax error: {message}"))
        except yaml.reader.ReaderError as exc:  # bad encoding: a position, not a mark
            with path.open("rb") as raw:
                line = raw.read(max(exc.position, 0)).count(b"\n") + 1
            problems.append(Problem(display, line, "yaml", f"not UTF-8 text: {exc.reason}"))
        except yaml.YAMLError as exc:
            problems.append(Problem(display, 1, "yaml", f"cannot read: {exc}"))
        finally:
            loader.dispose()
    return None


def _build(loader: Any, display: str, problems: list[Problem], sink: SiteSink | None) -> Any:
    scalar_ev = yaml.ScalarEvent
    map_start, map_end = yaml.MappingStartEvent, yaml.MappingEndEvent
    seq_start, seq_end = yaml.SequenceStartEvent, yaml.SequenceEndEvent
    alias_ev, doc_start, stream_end = yaml.AliasEvent, yaml.DocumentStartEvent, yaml.StreamEndEvent
    key_cache: dict[str, str] = {}
    anchors: dict[str, Any] = {}
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    budget = AliasBudget(display)

    def add(value: Any, line: int) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        box = frame.container
        if type(box) is YList:
            box.append(value)
            box.item_lines.append(line)
            return
        assert isinstance(box, YMap)
        if frame.key is None:
            if not isinstance(value, str):
                problems.append(Problem(display, line, "yaml", "mapping keys must be plain text"))
                value = f"<invalid key at line {line}>"
            frame.key = key_cache.setdefault(value, value)
            frame.key_line = line
            return
        key = frame.key
        frame.key = None
        if key == "<<":
            merged = _merge(box, value, line, display, problems)
            frame.merged = merged if frame.merged is None else frame.merged | merged
        elif key in box and frame.merged is not None and key in frame.merged:
            # an explicit key wins over a merged one, wherever the merge key stands
            frame.merged.discard(key)
            box[key] = value
            box.key_lines[list(box).index(key)] = frame.key_line
        elif key in box:
            first = box.line_of(key)
            problems.append(
                Problem(display, frame.key_line, key, f"duplicate key (first at line {first})")
            )
        else:
            box[key] = value
            box.key_lines.append(frame.key_line)

    while True:
        ev = loader.get_event()
        budget.feed(ev)
        cls = ev.__class__
        if cls is scalar_ev:
            text = ev.value
            line = ev.start_mark.line + 1
            if ev.tag is not None and ev.tag not in _TEXT_TAGS:
                if ev.tag == "tag:yaml.org,2002:null":
                    text = None
                else:
                    problems.append(Problem(display, line, "yaml", f"unsupported tag {ev.tag}"))
            elif not ev.style and ev.implicit[0] and text in _NULLS:
                text = None
            if ev.anchor is not None:
                anchors[ev.anchor] = text
            add(text, line)
        elif cls is map_start:
            stack.append(_Frame(YMap(ev.start_mark.line + 1), ev.anchor))
        elif cls is seq_start:
            stack.append(_Frame(YList(ev.start_mark.line + 1), ev.anchor))
        elif cls is map_end or cls is seq_end:
            frame = stack.pop()
            if frame.anchor is not None:
                anchors[frame.anchor] = frame.container
            elif (
                sink is not None
                and len(stack) == 2
                and stack[0].key == "sites"
                and type(stack[0].container) is YMap
                and type(stack[1].container) is YList
                and type(frame.container) is YMap
                and sink(frame.container, stack[0].container)
            ):
                continue
            add(frame.container, frame.container.line)
        elif cls is alias_ev:
            line = ev.start_mark.line + 1
            if ev.anchor in anchors:
                add(anchors[ev.anchor], line)
            else:  # libyaml rejects unknown aliases itself; kept for the pure-Python parser
                problems.append(Problem(display, line, "yaml", f"unknown alias *{ev.anchor}"))
                add(None, line)
        elif cls is doc_start:
            documents += 1
            if documents > 1:
                line = ev.start_mark.line + 1
                problems.append(
                    Problem(display, line, "yaml", "only one YAML document is allowed per file")
                )
                return root
        elif cls is stream_end:
            return root


def _merge(box: YMap, value: Any, line: int, display: str, problems: list[Problem]) -> set[str]:
    """YAML merge key: copy keys the mapping does not set itself, keeping their source lines."""
    merged: set[str] = set()
    sources = value if isinstance(value, YList) else [value]
    for source in sources:
        if not isinstance(source, YMap):
            problems.append(Problem(display, line, "<<", "merge value must be a mapping"))
            continue
        for key, key_line in zip(source, source.key_lines, strict=False):
            if key not in box:
                box[key] = source[key]
                box.key_lines.append(key_line)
                merged.add(key)
    return merged
