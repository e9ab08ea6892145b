"""Power truth widgets: mismatches highlighted and sorted first; floor map failover colours."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from models.power_truth import MISMATCH, OK, Verdict
from models.read.power import TruthRow
from models.read.status import RackTile
from ui.floor_map import tile_color, tile_value
from ui.power_truth import TruthModel, truth_table


def _row(name: str, server: float, outlets: float, code: int) -> TruthRow:
    v = Verdict(code, server, outlets, outlets / server)
    return TruthRow(1, name, "m", 1, server, outlets, "A1 B1", 0, v)


def test_truth_table_sorts_mismatches_first_and_highlights_them(qtbot: Any) -> None:
    model = TruthModel()
    rows = [_row("ok-1", 300, 301, OK), _row("bad", 300, 450, MISMATCH), _row("ok-2", 200, 198, OK)]
    model.set_rows(rows)
    view = truth_table(None, model)  # type: ignore[arg-type]
    qtbot.addWidget(view)
    proxy = view.model()
    first = proxy.index(0, 0).data()
    assert first == "bad"
    assert proxy.index(0, 4).data() == "1.50"
    assert proxy.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert proxy.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "MISMATCH" in proxy.index(0, 5).data()
    view.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # by the server's own watts
    assert proxy.index(0, 0).data() == "ok-2"


def test_floor_map_failover_colouring() -> None:
    tile = RackTile(rack=None, summary=None)  # type: ignore[arg-type]
    grey = tile_color(tile, "failover", None)
    assert grey.name() == "#9aa1ab" and tile_value(tile, "failover", None) == ""
    assert tile_color(tile, "failover", 95.0) != tile_color(tile, "failover", 10.0)
    assert tile_value(tile, "failover", 83.4) == "83%"
