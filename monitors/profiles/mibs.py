"""MIB names in profiles: resolve `MODULE::name.suffix` to numeric OIDs with pysmi (cached)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

import resources
from models.paths import cache_dir

MIBS_ENV = "RACKWATCH_MIBS"  # extra MIB directories, separated by os.pathsep
_NAME = re.compile(r"(?:(?P<module>[A-Za-z][\w-]*)::)?(?P<name>[A-Za-z][\w-]*)(?P<rest>(?:\..*)?)")
_MIB_SUFFIXES = ("", ".txt", ".mib", ".my")
_CACHE_FORMAT = 1


def looks_like_name(text: str) -> bool:
    """Whether an OID field holds a MIB name (numeric OIDs start with a digit or a dot)."""
    return bool(text) and text[0].isalpha()


def default_mib_dirs() -> list[Path]:
    """resources/mibs and its subfolders, then $RACKWATCH_MIBS."""
    root = resources.ROOT / "mibs"
    dirs = [root, *sorted(p for p in root.rglob("*") if p.is_dir())] if root.is_dir() else []
    extra = [Path(p) for p in os.environ.get(MIBS_ENV, "").split(os.pathsep) if p]
    return dirs + extra


class MibNameError(ValueError):
    """A MIB name cannot be resolved; the message says which name and where it looked."""


class MibNames:
    """Name -> OID tables of the MIB modules found in some directories, compiled on first use.

    Compilation (pysmi, JSON code generator) happens only when a profile uses a name, and its
    result is cached under the user cache directory keyed by the MIB files' names, sizes and
    modification times, so loading profiles stays fast.
    """

    def __init__(self, dirs: Iterable[Path]) -> None:
        self.dirs = [d for d in dict.fromkeys(Path(d) for d in dirs) if d.is_dir()]
        self._modules: dict[str, dict[str, str]] | None = None
        self._failed: dict[str, str] = {}

    def _files(self) -> list[Path]:
        out = []
        for d in self.dirs:
            for f in sorted(d.iterdir()):
                if f.is_file() and f.suffix.lower() in _MIB_SUFFIXES and not f.name.startswith("."):
                    out.append(f)
        return out

    def _load(self) -> dict[str, dict[str, str]]:
        if self._modules is not None:
            return self._modules
        files = self._files()
        key = hashlib.sha256(
            json.dumps(
                [_CACHE_FORMAT, [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]]
            ).encode()
        ).hexdigest()[:24]
        cache = cache_dir() / "mibs" / f"names-{key}.json"
        try:
            data = json.loads(cache.read_text())
            self._modules, self._failed = data["modules"], data["failed"]
            return self._modules
        except (OSError, ValueError, KeyError):
            pass
        self._modules, self._failed = _compile(self.dirs, files)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps({"modules": self._modules, "failed": self._failed}))
            tmp.replace(cache)
        except OSError:
            pass  # a read-only cache only costs a recompilation next time
        return self._modules

    def resolve(self, text: str) -> str:
        """`LIEBERT-GP-PDU-MIB::lgpPduRcpEntryEc.{index}` -> `1.3.6.1.4.1.476....{index}`."""
        m = _NAME.fullmatch(text.strip())
        if m is None:
            raise MibNameError(f"not an OID or MIB name: {text!r}")
        module, name, rest = m.group("module"), m.group("name"), m.group("rest")
        modules = self._load()
        where = ", ".join(str(d) for d in self.dirs) or "(no MIB directories)"
        if module is not None:
            if module not in modules:
                why = self._failed.get(module)
                detail = f": {why}" if why else f" in {where}"
                raise MibNameError(f"MIB module {module} not found or not compiled{detail}")
            found = [modules[module][name]] if name in modules[module] else []
        else:
            found = sorted({t[name] for t in modules.values() if name in t})
        if not found:
            scope = module or "any MIB module"
            raise MibNameError(f"{name!r} is not defined in {scope} (MIB directories: {where})")
        if len(found) > 1:
            raise MibNameError(f"{name!r} is ambiguous ({', '.join(found)}): write MODULE::{name}")
        return found[0] + rest


def _compile(
    dirs: list[Path], files: list[Path]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    # pysmi is imported here: profiles with numeric OIDs never pay for it.
    from pysmi.codegen import JsonCodeGen
    from pysmi.compiler import MibCompiler
    from pysmi.parser import SmiStarParser
    from pysmi.reader import FileReader
    from pysmi.searcher import StubSearcher
    from pysmi.writer import CallbackWriter

    out: dict[str, str] = {}
    writer = CallbackWriter(lambda name, data, _ctx: out.__setitem__(name, data))
    compiler = MibCompiler(SmiStarParser(), JsonCodeGen(), writer)
    compiler.add_sources(*(FileReader(str(d), recursive=False) for d in dirs))
    compiler.add_searchers(StubSearcher(*JsonCodeGen.baseMibs))
    wanted = sorted({_module_name(f) or f.name for f in files})
    status = compiler.compile(*wanted, genTexts=False, ignoreErrors=True)
    failed = {
        str(mod): str(getattr(st, "error", st))
        for mod, st in status.items()
        if str(st) in ("failed", "missing")
    }
    modules: dict[str, dict[str, str]] = {}
    for mod, text in out.items():
        table: dict[str, str] = {}
        for sym, node in json.loads(text).items():
            if isinstance(node, dict) and isinstance(node.get("oid"), str):
                table[sym] = node["oid"]
        modules[mod] = table
    return modules, failed


def _module_name(path: Path) -> str | None:
    """The module a MIB file defines (`NAME DEFINITIONS ::= BEGIN`), read from its head."""
    try:
        head = path.read_bytes()[:65536].decode("latin-1")
    except OSError:
        return None
    m = re.search(r"^\s*([A-Za-z][\w-]*)\s+DEFINITIONS\s*::=\s*BEGIN", head, re.MULTILINE)
    return m.group(1) if m else None
