"""Which history back end a process uses, and the site collector's configuration file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

import app
from models.store import backend
from models.store.samples import SampleWriter
from models.store.victoria import VictoriaWriter, encode_import


def test_a_new_sqlite_database_keeps_history_in_rows(engine: Engine) -> None:
    backend.forget_readers()
    cfg = backend.resolve_config(engine)
    assert cfg == backend.HistoryConfig()
    assert backend.reader_for(engine) is None
    assert isinstance(backend.open_sink(engine, cfg), SampleWriter)


def test_environment_selects_victoria_and_rows_wins_when_forced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(backend.ENV_QUERY, "http://127.0.0.1:8428")
    cfg = backend.resolve_config(engine)
    assert cfg.is_victoria and cfg.write_url == "http://127.0.0.1:8428"
    assert isinstance(backend.open_sink(engine, cfg), VictoriaWriter)
    monkeypatch.setenv(backend.ENV_BACKEND, "rows")
    assert not backend.resolve_config(engine).is_victoria


def test_import_lines_carry_labels_and_skip_unknown_series() -> None:
    labels = {7: {"series_id": "7", "site": "GA1", "metric": "power_w"}}
    body, unknown = encode_import([(7, 100, 1.5), (7, 130, 2.0), (9, 100, 3.0)], labels)
    assert unknown == [9]
    assert body == (
        b'{"metric":{"__name__":"rackwatch_power_w","series_id":"7","site":"GA1",'
        b'"metric":"power_w"},"values":[1.5,2.0],"timestamps":[100000,130000]}\n'
    )


def _args(**kw: object) -> argparse.Namespace:
    base = {
        "db": None,
        "site": None,
        "vm_url": None,
        "vmagent_url": None,
        "collector_id": None,
        "lease_ttl": None,
        "heartbeat": None,
        "known_hosts": None,
        "trace_polls": None,
        "config": None,
        "outbox": None,
        "state": None,
    }
    base.update(kw)
    return argparse.Namespace(**base)


def test_collector_config_file_and_flags(tmp_path: Path) -> None:
    example = Path(app.__file__).parent / "resources" / "deploy" / "collector.example.toml"
    conf = app._site_settings(_args(config=str(example)))
    assert conf["code"] == "GA1" and conf["ttl_s"] == 30 and conf["heartbeat_s"] == 10
    assert conf["vmagent_url"] == "http://127.0.0.1:8429"
    # A flag wins over the file.
    conf = app._site_settings(_args(config=str(example), site="GA2", lease_ttl=12))
    assert (conf["code"], conf["ttl_s"]) == ("GA2", 12)


def _answer(series: list[tuple[dict[str, str], list[tuple[int, str]]]]) -> bytes:
    """A query_range answer in the layout VictoriaMetrics writes."""
    items = ",".join(
        '{"metric":' + json.dumps(m, separators=(",", ":")) + ',"values":['
        + ",".join(f'[{t},"{v}"]' for t, v in points) + "]}"
        for m, points in series
    )  # fmt: skip
    return ('{"status":"success","data":{"resultType":"matrix","result":[' + items + "]}}").encode()


def test_values_without_times_land_on_the_steps_of_avg_unless_labels_split() -> None:
    from models.store.victoria import _on_steps, _series_of, parse_matrix

    avg = _answer([({"series_id": "7"}, [(300, "24.05"), (600, "24.1"), (900, "24.15")])])
    low = _answer([({"series_id": "7"}, [(300, "24"), (600, "24"), (900, "24.1")])])
    steps = _series_of(parse_matrix(avg), {7})
    got = _on_steps(parse_matrix(low, times=False), steps, {7})
    assert got is not None
    assert got[7][0].tolist() == [300, 600, 900] and got[7][1].tolist() == [24.0, 24.0, 24.1]
    assert _series_of(parse_matrix(low), {7})[7][1].tolist() == got[7][1].tolist()
    # A renamed rack: the id under two label sets, whose order says nothing about time.
    split = _answer(
        [
            ({"series_id": "7", "rack": "new"}, [(900, "24.1")]),
            ({"series_id": "7", "rack": "old"}, [(300, "24"), (600, "24")]),
        ]
    )
    assert _on_steps(parse_matrix(split, times=False), steps, {7}) is None
    merged = _series_of(parse_matrix(split), {7})[7]
    assert merged[0].tolist() == [300, 600, 900] and merged[1].tolist() == [24.0, 24.0, 24.1]
