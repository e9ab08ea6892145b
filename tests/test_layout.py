"""What import-linter cannot see: scripts outside the packages never import the tests."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_benches_scripts_and_the_app_import_no_test_module() -> None:
    files = [REPO / "app.py", *sorted((REPO / "bench").glob("*.py"))]
    files += sorted((REPO / "scripts").glob("*.py"))
    assert len(files) > 10
    bad = {
        f.relative_to(REPO).as_posix(): sorted(n for n in _imports(f) if n.split(".")[0] == "tests")
        for f in files
    }
    assert {f: n for f, n in bad.items() if n} == {}
