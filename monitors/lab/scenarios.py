"""Incidents injected into a running lab: timed scenario files and live inject/clear commands."""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

KINDS = (
    "cooling-failure",
    "phase-overload",
    "pdu-down",
    "hostkey-change",
    "probe-nonsense",
    # Power truth (issue 16): what the outlet cross-check must catch.
    "swapped-cord",  # a server's feed-B cord swapped with another server's of its rack
    "failed-psu",  # a server's feed-A PSU fails: its feed-B PSU carries everything
    "unlisted-load",  # something not in the inventory plugged into a PDU outlet
)
UNLISTED_LOAD_W = 180.0  # a small appliance (a KVM, a monitor, a forgotten 1U box)

# Cooling failure: the row's supply air warms towards +COOLING_RISE_C with time constant TAU.
COOLING_RISE_C = 16.0
COOLING_TAU_S = 180.0
COOLING_RECOVERY_TAU_S = 240.0
# Phase overload: one phase is pushed to this fraction of its line rating.
OVERLOAD_FRACTION = 1.15


class ScenarioError(ValueError):
    """A scenario step or command is malformed; the message names the step and field."""


@dataclass
class Event:
    id: int
    kind: str
    start: float
    end: float | None = None
    site: str | None = None
    row: str | None = None
    device: str | None = None
    phase: int = 1
    outlet: int | None = None  # unlisted-load: the PDU outlet
    partner: str | None = None  # swapped-cord: the server whose cord was swapped with it

    def active(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Step:
    at: float  # seconds after lab start
    action: str  # inject or clear
    kind: str  # an event kind, or "all" for clear
    site: str | None = None
    row: str | None = None
    device: str | None = None
    phase: int = 1
    outlet: int | None = None


class Scenarios:
    """Thread-safe set of events; physics asks it, the agents ask it, commands change it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._next_id = 1
        self.listeners: list[Any] = []  # callables(event, action) told of every change

    def events(self) -> list[Event]:
        with self._lock:
            return list(self._events)

    def inject(
        self,
        kind: str,
        t: float,
        *,
        site: str | None = None,
        row: str | None = None,
        device: str | None = None,
        phase: int = 1,
        outlet: int | None = None,
        partner: str | None = None,
    ) -> Event:
        if kind not in KINDS:
            raise ScenarioError(
                f"unknown scenario kind {kind!r}; expected one of {', '.join(KINDS)}"
            )
        if kind == "cooling-failure" and not row:
            raise ScenarioError("cooling-failure needs a row (and a site when there are several)")
        if kind != "cooling-failure" and not device:
            raise ScenarioError(f"{kind} needs a device name")
        if phase not in (1, 2, 3):
            raise ScenarioError(f"phase must be 1, 2 or 3, not {phase}")
        with self._lock:
            ev = Event(self._next_id, kind, t, None, site, row, device, phase, outlet, partner)
            self._next_id += 1
            self._events.append(ev)
        for cb in list(self.listeners):
            cb(ev, "inject")
        return ev

    def clear(self, t: float, kind: str = "all", ident: int | None = None) -> list[Event]:
        """End matching active events at time t (their after-effects, such as cooling, decay)."""
        ended: list[Event] = []
        with self._lock:
            for ev in self._events:
                if ev.end is not None:
                    continue
                if ident is not None and ev.id != ident:
                    continue
                if kind not in ("all", ev.kind):
                    continue
                ev.end = t
                ended.append(ev)
        for ev in ended:
            for cb in list(self.listeners):
                cb(ev, "clear")
        return ended

    # -- queries used by physics and agents -----------------------------------------------

    def cooling_delta(self, site: str, row: str, t: float) -> float:
        """Extra supply-air temperature of a row at time t, in °C."""
        total = 0.0
        for ev in self._events:
            if ev.kind != "cooling-failure" or ev.row != row:
                continue
            if ev.site not in (None, site) or t < ev.start:
                continue
            stop = t if ev.end is None else min(t, ev.end)
            rise = COOLING_RISE_C * (1.0 - math.exp(-(stop - ev.start) / COOLING_TAU_S))
            if ev.end is not None and t > ev.end:
                rise *= math.exp(-(t - ev.end) / COOLING_RECOVERY_TAU_S)
            total += rise
        return total

    def overload_w(self, device: str, phase: int, t: float) -> tuple[float, float]:
        """(fraction of line rating added now, its integral in rating·seconds) for a PDU phase."""
        frac = 0.0
        integral = 0.0
        for ev in self._events:
            if ev.kind != "phase-overload" or ev.device != device or ev.phase != phase:
                continue
            if t < ev.start:
                continue
            stop = t if ev.end is None else min(t, ev.end)
            integral += OVERLOAD_FRACTION * (stop - ev.start)
            if ev.active(t):
                frac += OVERLOAD_FRACTION
        return frac, integral

    def active_of(self, kind: str, t: float) -> list[Event]:
        return [ev for ev in self._events if ev.kind == kind and ev.active(t)]

    def is_active(self, kind: str, device: str, t: float) -> bool:
        return any(ev.kind == kind and ev.device == device and ev.active(t) for ev in self._events)


def _opt_str(step: dict[str, Any], key: str, where: str) -> str | None:
    value = step.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise ScenarioError(f"{where}: {key} must be a string")
    return str(value)


def load_scenario(path: Path) -> list[Step]:
    """Read a scenario YAML file: `steps: [{at: SECONDS, inject|clear: KIND, ...}]`."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc}") from exc
    steps_doc = doc.get("steps") if isinstance(doc, dict) else None
    if not isinstance(steps_doc, list):
        raise ScenarioError(f"{path}: expected a mapping with a 'steps' list")
    steps: list[Step] = []
    for i, raw in enumerate(steps_doc, 1):
        where = f"{path} step {i}"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: expected a mapping")
        at = raw.get("at", 0)
        if not isinstance(at, int | float) or at < 0:
            raise ScenarioError(f"{where}: 'at' must be seconds >= 0")
        if ("inject" in raw) == ("clear" in raw):
            raise ScenarioError(f"{where}: give exactly one of 'inject' or 'clear'")
        action = "inject" if "inject" in raw else "clear"
        kind = str(raw[action])
        if kind not in KINDS and not (action == "clear" and kind == "all"):
            raise ScenarioError(
                f"{where}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}"
            )
        phase = raw.get("phase", 1)
        if phase not in (1, 2, 3):
            raise ScenarioError(f"{where}: phase must be 1, 2 or 3")
        outlet = raw.get("outlet")
        if outlet is not None and (not isinstance(outlet, int) or outlet < 1):
            raise ScenarioError(f"{where}: outlet must be a whole number >= 1")
        steps.append(
            Step(
                at=float(at),
                action=action,
                kind=kind,
                site=_opt_str(raw, "site", where),
                row=_opt_str(raw, "row", where),
                device=_opt_str(raw, "device", where),
                phase=int(phase),
                outlet=outlet,
            )
        )
    return sorted(steps, key=lambda s: s.at)


def apply_step(scn: Scenarios, step: Step, t: float) -> list[Event]:
    if step.action == "inject":
        return [
            scn.inject(
                step.kind,
                t,
                site=step.site,
                row=step.row,
                device=step.device,
                phase=step.phase,
                outlet=step.outlet,
            )
        ]
    return scn.clear(t, step.kind)
