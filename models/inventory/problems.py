"""One inventory problem, reported as `file:line: field: message`."""

from __future__ import annotations

from dataclasses import dataclass

from models.yaml_limits import MAX_PROBLEMS_KEPT, MAX_PROBLEMS_SHOWN


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ProblemList(list[Problem]):
    """Problems of one file, keeping at most MAX_PROBLEMS_KEPT (the rest only counted), so a
    hostile or badly broken file cannot fill memory with ten million error lines."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def append(self, problem: Problem) -> None:
        if len(self) < MAX_PROBLEMS_KEPT:
            super().append(problem)
        else:
            self.dropped += 1

    @property
    def total(self) -> int:
        return len(self) + self.dropped


def summarize(problems: list[Problem], shown: int = MAX_PROBLEMS_SHOWN) -> list[str]:
    """The first `shown` problems as lines, then one line counting the rest."""
    total = len(problems) + int(getattr(problems, "dropped", 0))
    lines = [str(p) for p in problems[:shown]]
    if total > shown:
        lines.append(f"... and {total - shown:,} more problems")
    return lines


class ImportCancelled(Exception):
    """The reader of an import's progress asked it to stop; nothing was written."""


class InventoryError(Exception):
    """Raised when an inventory is invalid; carries the problems found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.total = len(problems) + int(getattr(problems, "dropped", 0))
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        kept = ProblemList()
        kept.extend(self.problems)
        kept.dropped = self.total - len(self.problems)
        super().__init__("\n".join(summarize(kept)))
