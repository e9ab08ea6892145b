"""Inventory import: read a YAML or CSV inventory, validate all of it, then upsert it in one
transaction. The file format is documented in docs/inventory.md."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from models.inventory.apply import Counts, ImportReport, apply_plan, import_plan
from models.inventory.csv_reader import CSV_COLUMNS, read_csv
from models.inventory.format import (
    BUILTIN_PROFILE_DIR,
    Checker,
    DeviceRec,
    FeedRec,
    Inventory,
    ProfileNames,
    RackRec,
    SiteRec,
)
from models.inventory.problems import ImportCancelled, InventoryError, Problem
from models.inventory.validate import TreeValidator
from models.inventory.yaml_reader import read_yaml

__all__ = [
    "BUILTIN_PROFILE_DIR",
    "CSV_COLUMNS",
    "Counts",
    "DeviceRec",
    "FeedRec",
    "ImportCancelled",
    "ImportReport",
    "Inventory",
    "InventoryError",
    "Problem",
    "RackRec",
    "SiteRec",
    "check_inventory",
    "import_inventory",
    "parse_inventory",
]

# progress(stage, fraction) between the stages of an import; returning False cancels it.
Progress = Callable[[str, float], bool]


def _step(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None and progress(stage, fraction) is False:
        raise ImportCancelled(stage)


def parse_inventory(
    path: str | Path, *, profile_dirs: Sequence[Path] | None = None
) -> tuple[Inventory, list[Problem]]:
    """Read and validate a file on its own (no database); .csv is CSV, anything else YAML."""
    path = Path(path)
    display = str(path)
    fmt = "csv" if path.suffix.lower() == ".csv" else "yaml"
    inv = Inventory(display, fmt)
    ck = Checker(display, ProfileNames(profile_dirs))
    if not path.is_file():
        ck.fail(0, "file", "no such file")
        return inv, ck.problems
    if fmt == "csv":
        read_csv(path, inv, ck)
    else:
        validator = TreeValidator(inv, ck)
        root = read_yaml(path, display, ck.problems, validator.stream_site)
        if root is not None or not ck.problems:
            validator.finish(root)
    return inv, ck.problems


def check_inventory(
    path: str | Path,
    engine: Engine | None = None,
    *,
    prune: bool = False,
    profile_dirs: Sequence[Path] | None = None,
) -> list[Problem]:
    """Every problem of the file, including those against the database's devices when given."""
    try:
        import_inventory(engine, path, prune=prune, dry_run=True, profile_dirs=profile_dirs)
    except InventoryError as exc:
        return exc.problems
    return []


def import_inventory(
    engine: Engine | None,
    path: str | Path,
    *,
    prune: bool = False,
    dry_run: bool = False,
    profile_dirs: Sequence[Path] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole file, then upsert it in one transaction (nothing on any problem).

    Raises InventoryError listing every problem. With dry_run the counts are computed and
    nothing is written. Without an engine only a dry run against an empty database is possible.
    progress is told each stage; when it returns False the import stops with ImportCancelled
    (inside the transaction, which then rolls back: nothing is written).
    """
    _step(progress, "read", 0.0)
    inv, problems = parse_inventory(path, profile_dirs=profile_dirs)
    _step(progress, "check", 0.4)
    if problems and not (inv.sites or inv.racks or inv.devices):
        raise InventoryError(problems)
    if engine is None:
        if not dry_run:
            raise ValueError("importing needs a database engine")
        from sqlalchemy import create_engine

        from models.schema import Base

        engine = create_engine("sqlite://")
        Base.metadata.create_all(engine)
    with engine.begin() as conn:
        plan = import_plan(conn, inv, prune=prune, dry_run=dry_run)
        problems.extend(plan.problems)  # keeps the count of problems beyond the cap
        if problems:
            raise InventoryError(problems)
        if not dry_run:
            _step(progress, "write", 0.7)
            apply_plan(conn, plan)
            _step(progress, "commit", 0.95)
    if progress is not None:
        progress("done", 1.0)  # written and committed: too late to cancel
    return plan.report
