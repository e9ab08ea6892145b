"""Guards the layering rules of DESIGN.md by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.daemons import REPO

OURS = {"ui", "monitors", "models", "resources", "app"}
ALLOWED = {
    "models": {"models"},
    "monitors": {"monitors", "models", "resources"},
    "ui": {"ui", "models", "monitors", "resources"},
    "resources": {"resources"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _layer_files() -> list[tuple[str, Path]]:
    out = []
    for layer in ALLOWED:
        out.extend((layer, p) for p in sorted((REPO / layer).rglob("*.py")))
    return out


def test_layers_only_import_what_they_may() -> None:
    problems = []
    files = _layer_files()
    assert len(files) > 5
    for layer, path in files:
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OURS and top not in ALLOWED[layer]:
                problems.append(f"{path.relative_to(REPO)} imports {name}")
    assert not problems, "\n".join(problems)


def test_no_qt_outside_ui_and_app() -> None:
    problems = []
    for layer, path in _layer_files():
        if layer == "ui":
            continue
        for name in _imports(path):
            if name.split(".")[0] in {"PySide6", "shiboken6", "pyqtgraph", "qasync"}:
                problems.append(f"{path.relative_to(REPO)} imports {name}")
    assert not problems, "\n".join(problems)


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from monitors.x import y\nimport PySide6.QtCore\n")
    assert {"monitors.x", "PySide6.QtCore"} <= _imports(bad)
