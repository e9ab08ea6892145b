"""Physical model of the lab: load, power, energy, airflow and temperatures over time.

Everything is a closed-form function of (seed, wall-clock time, injected events), so two
readers at the same instant see the same values, values drift smoothly between polls and
energy counters are exact integrals of power (load is a sum of sinusoids, so its integral
is closed-form too).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from monitors.lab.scenarios import UNLISTED_LOAD_W, Event, Scenarios
from monitors.lab.topology import LabPdu, LabProbe, LabRack, LabServer, Topology

DAY = 86_400.0
TWO_PI = 2.0 * math.pi
# Energy counters start as if the equipment had run since this instant (2024-01-01 UTC).
ENERGY_EPOCH = 1_704_067_200.0
AIR_RHO_CP = 1.2 * 1005.0  # J/(m³·K): heat carried by one m³ of air per kelvin
PEAK_HOUR = 15.0  # local hour of the daily load peak
RECIRCULATION_C_PER_W = 0.0003  # inlet warming per watt of rack heat (about 1.5 °C at 5 kW)


@dataclass(frozen=True, slots=True)
class Wave:
    amp: float
    omega: float  # rad/s
    phi: float

    def value(self, t: float) -> float:
        return self.amp * math.sin(self.omega * t + self.phi)

    def integral(self, t: float) -> float:
        return -self.amp / self.omega * math.cos(self.omega * t + self.phi)


@dataclass(frozen=True, slots=True)
class LoadCurve:
    """load(t) = base + daily cosine + faster waves; chosen so it stays inside (0, 1)."""

    base: float
    waves: tuple[Wave, ...]

    def value(self, t: float) -> float:
        v = self.base
        for w in self.waves:
            v += w.amp * math.sin(w.omega * t + w.phi)
        return min(1.0, max(0.0, v))

    def integral(self, t: float) -> float:
        return self.base * t + sum(w.integral(t) for w in self.waves)


@dataclass(frozen=True, slots=True)
class ServerState:
    load: float
    power_w: float
    energy_kwh: float
    inlet_c: float
    exhaust_c: float
    cpu_c: tuple[float, ...]
    fan_rpm: tuple[int, ...]
    voltage_v: float
    psu_w: tuple[float, float]  # feed A, feed B input power
    psu_a: tuple[float, float]
    power_factor: float


@dataclass(frozen=True, slots=True)
class OutletState:
    power_w: float
    current_a: float
    apparent_va: float
    power_factor: float
    energy_kwh: float


@dataclass(frozen=True, slots=True)
class PduState:
    voltage_v: float
    frequency_hz: float
    power_w: float
    apparent_va: float
    power_factor: float
    current_a: float  # whole unit (single phase: the phase current)
    energy_kwh: float
    line_current_a: tuple[float, ...]  # per phase/line
    line_power_w: tuple[float, ...]
    line_apparent_va: tuple[float, ...]
    line_energy_kwh: tuple[float, ...]
    outlets: tuple[OutletState, ...]  # index 0 = outlet 1
    inlet_c: float  # external sensor at the rack front (PDUs that have one)
    exhaust_c: float
    humidity_pct: float


@dataclass(frozen=True, slots=True)
class ProbeState:
    front_c: float
    rear_c: float
    humidity_pct: float
    nonsense: bool


def _rng(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:{name}")


class Physics:
    """Deterministic state of every lab device at any time t (UTC epoch seconds)."""

    def __init__(self, topo: Topology, scenarios: Scenarios | None = None) -> None:
        self.topo = topo
        self.scenarios = scenarios or Scenarios()
        self._curves: dict[str, LoadCurve] = {}
        self._server_par: dict[str, tuple[float, float, float]] = {}
        self._rack_par: dict[str, tuple[float, float]] = {}
        self._row_par: dict[tuple[str, str], tuple[float, float]] = {}
        self._site_par: dict[str, tuple[float, float, float]] = {}
        self._rack_power_memo: dict[str, tuple[int, float]] = {}
        for site in topo.sites:
            r = _rng(topo.seed, site.code)
            # nominal voltage offset, voltage wave phase, tz offset of the daily cycle (hours)
            self._site_par[site.code] = (r.uniform(-3, 3), r.uniform(0, TWO_PI), 8.0)
        for rack in topo.racks():
            r = _rng(topo.seed, rack.key)
            ends = (
                1.0 if rack.position in (1, rack.row_length) else 0.0
            )  # recirculation at row ends
            self._rack_par[rack.key] = (r.uniform(0.0, 1.0) + ends, r.uniform(0, TWO_PI))
            rk = (rack.site.code, rack.row)
            if rk not in self._row_par:
                rr = _rng(topo.seed, f"{rk[0]}/{rk[1]}")
                self._row_par[rk] = (rr.uniform(18.5, 21.0), rr.uniform(0, TWO_PI))
            for srv in rack.servers:
                self._add_server(srv)

    def _add_server(self, srv: LabServer) -> None:
        r = _rng(self.topo.seed, srv.name)
        tz = self._site_par[srv.rack.site.code][2]
        base = r.uniform(0.32, 0.58)
        day_amp = r.uniform(0.10, 0.20)
        # cos(ω(t - t_peak)) written as a sine with a phase
        peak_t = (PEAK_HOUR - tz) * 3600.0 + r.uniform(-1800, 1800)
        waves = [Wave(day_amp, TWO_PI / DAY, math.pi / 2 - TWO_PI / DAY * peak_t)]
        for period in (r.uniform(300, 900), r.uniform(1200, 3600), r.uniform(5400, 14400)):
            waves.append(Wave(r.uniform(0.01, 0.03), TWO_PI / period, r.uniform(0, TWO_PI)))
        self._curves[srv.name] = LoadCurve(base, tuple(waves))
        # cpu offset, airflow factor, inlet offset from rack height
        self._server_par[srv.name] = (r.uniform(-3, 3), r.uniform(0.9, 1.1), 0.05 * srv.u)

    # -- building blocks -------------------------------------------------------------------

    def load(self, srv: LabServer, t: float) -> float:
        return self._curves[srv.name].value(t)

    def server_power(self, srv: LabServer, t: float) -> float:
        return srv.idle_w + (srv.max_w - srv.idle_w) * self.load(srv, t)

    def server_energy_kwh(self, srv: LabServer, t: float) -> float:
        curve = self._curves[srv.name]
        joules = srv.idle_w * (t - ENERGY_EPOCH) + (srv.max_w - srv.idle_w) * (
            curve.integral(t) - curve.integral(ENERGY_EPOCH)
        )
        return joules / 3.6e6

    def voltage(self, site: str, t: float) -> float:
        off, phi, _ = self._site_par[site]
        return (
            230.0
            + off
            + 1.5 * math.sin(TWO_PI * t / 10_800 + phi)
            + 0.4 * math.sin(TWO_PI * t / 420 + 2 * phi)
        )

    def frequency(self, site: str, t: float) -> float:
        _, phi, _ = self._site_par[site]
        return 50.0 + 0.03 * math.sin(TWO_PI * t / 600 + phi)

    def supply_air(self, site: str, row: str, t: float) -> float:
        """Cold-aisle supply temperature of a row, including injected cooling failures."""
        base, phi = self._row_par[(site, row)]
        return (
            base
            + 0.6 * math.sin(TWO_PI * t / DAY + phi)
            + 0.25 * math.sin(TWO_PI * t / 1500 + 3 * phi)
            + self.scenarios.cooling_delta(site, row, t)
        )

    def rack_inlet(self, rack: LabRack, t: float) -> float:
        off, phi = self._rack_par[rack.key]
        return (
            self.supply_air(rack.site.code, rack.row, t)
            + off
            + 0.2 * math.sin(TWO_PI * t / 700 + phi)
            + RECIRCULATION_C_PER_W * self._rack_power_at_second(rack, t)
        )

    def _rack_power_at_second(self, rack: LabRack, t: float) -> float:
        # Hot air leaking back to the front grows with the rack's heat. Evaluated at whole
        # seconds and memoised, so a rack's twenty BMCs do not each re-sum the rack; still a
        # pure function of t.
        sec = math.floor(t)
        hit = self._rack_power_memo.get(rack.key)
        if hit is not None and hit[0] == sec:
            return hit[1]
        value = self.rack_power(rack, float(sec))
        self._rack_power_memo[rack.key] = (sec, value)
        return value

    @staticmethod
    def fan_fraction(load: float, inlet_c: float) -> float:
        return min(1.0, max(0.25, 0.8 * load, (inlet_c - 20.0) / 14.0))

    @staticmethod
    def power_factor(load: float) -> float:
        return 0.90 + 0.08 * load

    # -- device states ---------------------------------------------------------------------

    def server(self, srv: LabServer, t: float) -> ServerState:
        load = self.load(srv, t)
        power = srv.idle_w + (srv.max_w - srv.idle_w) * load
        cpu_off, flow_k, height = self._server_par[srv.name]
        inlet = self.rack_inlet(srv.rack, t) + height
        fan = self.fan_fraction(load, inlet)
        flow = (0.012 + 0.03 * fan) * flow_k  # m³/s through a 1U server
        exhaust = inlet + power / (AIR_RHO_CP * flow)
        cpu1 = inlet + 14.0 + 42.0 * load + cpu_off
        cpu2 = cpu1 - 3.5 + 0.5 * math.sin(t / 97.0)
        rpm = int(2400 + 10_800 * fan)
        fans = tuple(rpm + (i % 2) * 120 - (i // 2) * 40 for i in range(6))
        volts = self.voltage(srv.rack.site.code, t)
        pf = self.power_factor(load)
        pa = power * self.feed_share(srv, "A", t)
        pb = power - pa
        return ServerState(
            load=load,
            power_w=power,
            energy_kwh=self.server_energy_kwh(srv, t),
            inlet_c=inlet,
            exhaust_c=exhaust,
            cpu_c=(cpu1, cpu2),
            fan_rpm=fans,
            voltage_v=volts,
            psu_w=(pa, pb),
            psu_a=(pa / (volts * pf), pb / (volts * pf)),
            power_factor=pf,
        )

    def pdu(self, pdu: LabPdu, t: float) -> PduState:
        rack = pdu.rack
        volts = self.voltage(rack.site.code, t)
        phases = pdu.phases
        line_w = [0.0] * phases
        line_va = [0.0] * phases
        line_kwh = [0.0] * phases
        outlets: list[list[float]] = [[0.0, 0.0, 0.0] for _ in range(pdu.outlets)]  # W, VA, kWh
        moved = self._cord_swaps(rack, pdu, t)
        for srv in rack.servers:
            share = self.feed_share(srv, pdu.feed, t)
            load = self.load(srv, t)
            w = (srv.idle_w + (srv.max_w - srv.idle_w) * load) * share
            va = w / self.power_factor(load)
            kwh = self.server_energy_kwh(srv, t) * share
            o = outlets[moved.get(srv.name, srv.outlet) - 1]
            o[0] += w
            o[1] += va
            o[2] += kwh
            p = (srv.phase - 1) % phases
            line_w[p] += w
            line_va[p] += va
            line_kwh[p] += kwh
        for ev in self.scenarios.active_of("unlisted-load", t):
            if ev.device == pdu.name and ev.outlet is not None and 1 <= ev.outlet <= pdu.outlets:
                # Unity power factor; energy counts from the plug-in.
                o = outlets[ev.outlet - 1]
                o[0] += UNLISTED_LOAD_W
                o[1] += UNLISTED_LOAD_W
                o[2] += UNLISTED_LOAD_W * (t - ev.start) / 3.6e6
                p = (ev.phase - 1) % phases
                line_w[p] += UNLISTED_LOAD_W
                line_va[p] += UNLISTED_LOAD_W
        for p in range(phases):
            frac, integral = self.scenarios.overload_w(pdu.name, p + 1, t)
            if frac or integral:
                # An unmetered load (a heater, a mis-patched server row) pushes the phase to
                # `frac` of its rating; unity power factor.
                extra = max(0.0, frac * pdu.rated_a * volts - line_va[p])
                line_w[p] += extra
                line_va[p] += extra
                line_kwh[p] += integral * pdu.rated_a * 230.0 / 3.6e6 * 0.8
        outlet_states = tuple(
            OutletState(
                power_w=o[0],
                current_a=o[1] / volts,
                apparent_va=o[1],
                power_factor=(o[0] / o[1]) if o[1] > 0 else 1.0,
                energy_kwh=o[2],
            )
            for o in outlets
        )
        total_w = sum(line_w)
        total_va = sum(line_va)
        line_a = tuple(va / volts for va in line_va)
        inlet = self.rack_inlet(rack, t) + 0.8
        rack_w = sum(self.server_power(s, t) for s in rack.servers)
        exhaust = inlet + 6.0 + rack_w / 900.0
        return PduState(
            voltage_v=volts,
            frequency_hz=self.frequency(rack.site.code, t),
            power_w=total_w,
            apparent_va=total_va,
            power_factor=(total_w / total_va) if total_va > 0 else 1.0,
            current_a=sum(line_a) if phases == 1 else max(line_a, default=0.0),
            energy_kwh=sum(line_kwh),
            line_current_a=line_a,
            line_power_w=tuple(line_w),
            line_apparent_va=tuple(line_va),
            line_energy_kwh=tuple(line_kwh),
            outlets=outlet_states,
            inlet_c=inlet,
            exhaust_c=exhaust,
            humidity_pct=self.humidity(rack, inlet, t),
        )

    def feed_share(self, srv: LabServer, feed: str, t: float) -> float:
        """Fraction of a server's draw taken from a feed; a failed feed-A PSU moves it all to B."""
        if self.scenarios.is_active("failed-psu", srv.name, t):
            return 0.0 if feed == "A" else 1.0
        return srv.share_a if feed == "A" else 1.0 - srv.share_a

    def swap_partner(self, ev: Event) -> LabServer | None:
        """The server of the same rack whose draw differs most at injection (so the swap shows)."""
        srv = next((s for s in self.topo.servers() if s.name == ev.device), None)
        if srv is None:
            return None
        if ev.partner is None:
            others = [s for s in srv.rack.servers if s is not srv and s.outlet != srv.outlet]
            if not others:
                return None
            here = self.server_power(srv, ev.start)
            best = max(others, key=lambda s: abs(self.server_power(s, ev.start) - here))
            ev.partner = best.name
        return next((s for s in srv.rack.servers if s.name == ev.partner), None)

    def _cord_swaps(self, rack: LabRack, pdu: LabPdu, t: float) -> dict[str, int]:
        """Server -> the outlet its cord on this PDU really sits in, for swapped feed-B cords."""
        if pdu.feed != "B":
            return {}
        moved: dict[str, int] = {}
        for ev in self.scenarios.active_of("swapped-cord", t):
            srv = next((s for s in rack.servers if s.name == ev.device), None)
            if srv is None:
                continue
            other = self.swap_partner(ev)
            if other is not None:
                moved[srv.name] = other.outlet
                moved[other.name] = srv.outlet
        return moved

    def humidity(self, rack: LabRack, temp_c: float, t: float) -> float:
        _, phi = self._rack_par[rack.key]
        rh = 46.0 + 4.0 * math.sin(TWO_PI * t / DAY + phi) - 1.8 * (temp_c - 22.0)
        return min(85.0, max(15.0, rh))

    def probe(self, probe: LabProbe, t: float) -> ProbeState:
        rack = probe.rack
        front = self.rack_inlet(rack, t) + 1.0  # mid-height of the rack door
        rack_w = sum(self.server_power(s, t) for s in rack.servers)
        rear = front + 5.0 + rack_w / 800.0
        return ProbeState(
            front_c=front,
            rear_c=rear,
            humidity_pct=self.humidity(rack, front, t),
            nonsense=self.scenarios.is_active("probe-nonsense", probe.name, t),
        )

    def rack_power(self, rack: LabRack, t: float) -> float:
        return sum(self.server_power(s, t) for s in rack.servers)
