"""YAML with limits: document size, alias expansion and a clear file:line on every refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader

# Nodes that aliases may add beyond those written out: a "billion laughs" file of a few hundred
# bytes expands to 10^9 nodes. Legitimate files that reuse templates stay far below this, and
# big inventories get ALIAS_RATIO times their own size on top.
MAX_ALIAS_NODES = 1_000_000
ALIAS_RATIO = 10
# Problems kept and printed per file: the first ones say what is wrong; the rest is a count.
MAX_PROBLEMS_SHOWN = 100
MAX_PROBLEMS_KEPT = 10_000


class YamlLimitError(ValueError):
    """The document breaks a limit or is not UTF-8 YAML; the message starts with file:line."""

    def __init__(self, display: str, line: int, message: str) -> None:
        super().__init__(f"{display}:{line}: {message}")
        self.display = display
        self.line = line
        self.reason = message


class AliasBudget:
    """Counts the nodes each anchor stands for; refuses when aliases expand too far."""

    def __init__(self, display: str, max_alias_nodes: int = MAX_ALIAS_NODES) -> None:
        self.display = display
        self.max_alias_nodes = max_alias_nodes
        self.sizes: dict[str, int] = {}
        self.events = 0
        self.expanded = 0
        self._open: list[list[Any]] = []  # [anchor, nodes so far] per open collection

    def _add(self, nodes: int) -> None:
        if self._open:
            self._open[-1][1] += nodes

    def feed(self, ev: Any) -> None:
        self.events += 1
        cls = ev.__class__
        if cls is yaml.ScalarEvent:
            if ev.anchor is not None:
                self.sizes[ev.anchor] = 1
            self._add(1)
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            self._open.append([ev.anchor, 1])
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            anchor, nodes = self._open.pop()
            if anchor is not None:
                self.sizes[anchor] = nodes
            self._add(nodes)
        elif cls is yaml.AliasEvent:
            nodes = self.sizes.get(ev.anchor, 1)
            self.expanded += nodes
            self._add(nodes)
            limit = max(self.max_alias_nodes, ALIAS_RATIO * self.events)
            if self.expanded > limit:
                raise YamlLimitError(
                    self.display,
                    ev.start_mark.line + 1,
                    f"aliases expand to more than {limit:,} nodes (*{ev.anchor}); refused "
                    "(a YAML alias bomb, or write the repeated parts out)",
                )


def check_size(path: Path, display: str, max_bytes: int) -> None:
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlLimitError(
            display, 1, f"{size:,} bytes is larger than the {max_bytes:,} allowed for this file"
        )


def load_limited(
    path: Path,
    *,
    max_bytes: int,
    display: str | None = None,
    max_alias_nodes: int = MAX_ALIAS_NODES,
) -> Any:
    """safe_load of one small YAML file (profiles, rules) with every limit above.

    Raises YamlLimitError (file:line) for a limit, bad UTF-8 or bad YAML; OSError as is.
    """
    name = display or str(path)
    check_size(path, name, max_bytes)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlLimitError(
            name, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    budget = AliasBudget(name, max_alias_nodes)
    try:
        for ev in yaml.parse(text, Loader=_Loader):
            budget.feed(ev)
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlLimitError(name, line, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlLimitError(name, 1, f"not valid YAML: {exc}") from None
