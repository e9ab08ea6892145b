"""Walks a Redfish service's power and thermal resources into RackWatch readings (SI units)."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from models.vocabulary import METRIC_UNITS
from monitors.collection.readings import DeviceIdentity, Reading
from monitors.redfish.client import SERVICE_ROOT, RedfishError, RedfishNotFound
from monitors.ssh.parsers import temperature_role

log = logging.getLogger("rackwatch.redfish")

Getter = Callable[[str], dict[str, Any]]
# Members inline in one answer instead of one GET each (DSP0266 $expand, one level).
EXPAND = "$expand=.($levels=1)"
Resources = Literal["auto", "current", "legacy", "all"]

# A service that links to more than this is broken or hostile; a poll must stay bounded.
MAX_REQUESTS = 1500
MAX_MEMBERS = 512  # members read from one collection
# An excerpt and its source sensor agree when within this fraction (rounding, read skew).
AGREE = 0.005

# Redfish ReadingType -> (metric, {unit: factor to the SI unit}); "" is "no unit given".
_TYPES: dict[str, tuple[str, dict[str, float]]] = {
    "Temperature": ("temperature_c", {"Cel": 1.0, "": 1.0, "C": 1.0, "°C": 1.0}),
    "Humidity": ("humidity_pct", {"%": 1.0, "": 1.0}),
    "Power": ("power_w", {"W": 1.0, "": 1.0, "kW": 1000.0}),
    "EnergykWh": ("energy_kwh", {"kW.h": 1.0, "": 1.0, "kWh": 1.0}),
    "EnergyWh": ("energy_kwh", {"W.h": 0.001, "": 0.001, "Wh": 0.001}),
    "EnergyJoules": ("energy_kwh", {"J": 1 / 3.6e6, "": 1 / 3.6e6}),
    "Voltage": ("voltage_v", {"V": 1.0, "": 1.0, "mV": 0.001}),
    "Current": ("current_a", {"A": 1.0, "": 1.0, "mA": 0.001}),
    "Frequency": ("frequency_hz", {"Hz": 1.0, "": 1.0}),
    "ApparentVA": ("apparent_power_va", {"V.A": 1.0, "VA": 1.0, "": 1.0}),
    "PowerFactor": ("power_factor", {"": 1.0, "1": 1.0}),
    "Rotational": ("fan_rpm", {"RPM": 1.0, "{rev}/min": 1.0, "": 1.0}),
}
# Units that name their quantity when ReadingType is missing (rackmount1 temperatures).
_UNIT_TYPES = {
    "Cel": "Temperature",
    "C": "Temperature",
    "[degF]": "Temperature",
    "W": "Power",
    "kW.h": "EnergykWh",
    "V": "Voltage",
    "A": "Current",
    "Hz": "Frequency",
    "V.A": "ApparentVA",
    "RPM": "Rotational",
    "{rev}/min": "Rotational",
}
# Units that are tolerated but are not what the schema says; the reading is kept, with a note.
_ODD_UNITS = {
    ("Temperature", "C"): "read as °C (the schema says 'Cel')",
    ("EnergykWh", "kW"): "read as kWh (kW is a power unit; the ReadingType says kWh)",
}
# PhysicalContext -> temperature role, where the context says it (names decide otherwise).
_CONTEXT_ROLES = {
    "Intake": "inlet",
    "Front": "inlet",
    "LiquidInlet": "inlet",
    "Exhaust": "outlet",
    "Back": "outlet",
    "LiquidOutlet": "outlet",
    "Room": "ambient",
    "CPU": "cpu",
    "CPUSubsystem": "cpu",
    "Memory": "memory",
    "MemorySubsystem": "memory",
    "StorageDevice": "disk",
    "PowerSupply": "psu",
    "VoltageRegulator": "board",
    "SystemBoard": "board",
    "Chassis": "board",
    "Backplane": "board",
}
_LEGACY_LIMITS = (
    ("LowerThresholdNonCritical", "warn_low"),
    ("UpperThresholdNonCritical", "warn_high"),
    ("LowerThresholdCritical", "crit_low"),
    ("UpperThresholdCritical", "crit_high"),
)
_SENSOR_LIMITS = (
    ("LowerCaution", "warn_low"),
    ("UpperCaution", "warn_high"),
    ("LowerCritical", "crit_low"),
    ("UpperCritical", "crit_high"),
)
_LINES = {
    "Line1ToNeutral": "L1-N",
    "Line2ToNeutral": "L2-N",
    "Line3ToNeutral": "L3-N",
    "Line1ToLine2": "L1-L2",
    "Line2ToLine3": "L2-L3",
    "Line3ToLine1": "L3-L1",
    "Line1": "L1",
    "Line2": "L2",
    "Line3": "L3",
    "Neutral": "N",
}


def temp_role(context: str, *names: str) -> str:
    """Temperature role from Redfish PhysicalContext, else from the sensor's names."""
    role = _CONTEXT_ROLES.get(context)
    return role if role is not None else temperature_role(*names)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _link(doc: dict[str, Any], key: str) -> str | None:
    ref = doc.get(key)
    if isinstance(ref, dict) and isinstance(ref.get("@odata.id"), str):
        return str(ref["@odata.id"])
    return None


def _state(doc: dict[str, Any]) -> str:
    status = doc.get("Status")
    return str(status.get("State", "")) if isinstance(status, dict) else ""


class _Stopped(RedfishError):
    """The walk hit MAX_REQUESTS: the poll fails rather than read a partial device."""


@dataclass
class _Item:
    reading: Reading
    source: str = ""  # DataSourceUri of an excerpt, or the URI a sensor was read from
    sensor: bool = False
    ident: str = ""  # a sensor's Id, to tell apart sensors that share a Name


@dataclass
class ReadOutcome:
    readings: list[Reading] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    identity: DeviceIdentity = field(default_factory=DeviceIdentity)
    requests: int = 0
    expand: bool = False  # collections came back expanded


class _Walk:
    def __init__(
        self, get: Getter, resources: Resources, budget_s: float | None, expand: bool
    ) -> None:
        self._get = get
        self.expand = expand
        self.deadline = None if budget_s is None else time.monotonic() + budget_s
        self.budget_s = budget_s
        self.resources = resources
        self.items: list[_Item] = []
        self.problems: list[str] = []
        self.requests = 0
        self.prefix = ""  # channel prefix when a service has several chassis or PDUs

    # -- fetching ------------------------------------------------------------------------------

    def fetch(self, uri: str, expect: str = "") -> dict[str, Any] | None:
        """GET a resource; a missing or wrong-typed one is a problem, not a failed poll."""
        try:
            doc = self.get(uri)
        except RedfishNotFound:
            self.problems.append(f"{uri}: linked but not found (HTTP 404); skipped")
            return None
        except RedfishError as exc:
            if exc.kind != "protocol" or isinstance(exc, _Stopped):
                raise  # unreachable, auth, tls, or over the cap: the whole poll fails
            self.problems.append(f"{exc}; skipped")
            return None
        return self.checked(uri, doc, expect)

    def get(self, uri: str) -> dict[str, Any]:
        """One request, within the request cap and the time budget of the poll."""
        if self.requests >= MAX_REQUESTS:
            raise _Stopped(
                "protocol", f"the service links to more than {MAX_REQUESTS} resources; stopped"
            )
        if self.deadline is not None and time.monotonic() > self.deadline:
            # Stop before the scheduler's hard timeout abandons the poll mid-request.
            raise RedfishError(
                "unreachable",
                f"the service is too slow: {self.requests} requests took more than "
                f"{self.budget_s:g} s; stopped",
            )
        self.requests += 1
        return self._get(uri)

    def checked(self, uri: str, doc: dict[str, Any], expect: str) -> dict[str, Any] | None:
        odata_type = str(doc.get("@odata.type", ""))
        if expect and odata_type and f".{expect}" not in odata_type and expect not in odata_type:
            self.problems.append(
                f"{uri}: expected a {expect} resource but the link leads to {odata_type}; skipped"
            )
            return None
        said = doc.get("@odata.id")
        if isinstance(said, str) and said.rstrip("/") != uri.split("#")[0].rstrip("/"):
            self.problems.append(f"{uri}: the resource calls itself {said}; read as {uri}")
        return doc

    def collection(self, uri: str) -> dict[str, Any] | None:
        """A collection, with its members inline when the service expands (one request)."""
        if self.expand:
            try:
                return self.get(f"{uri}?{EXPAND}")
            except RedfishError as exc:
                if exc.kind != "protocol" or isinstance(exc, _Stopped):
                    raise
                # Claimed but not served (sushy-static answers 404 to any query): plain GETs.
                log.debug("%s: $expand refused (%s); reading members one by one", uri, exc)
                self.expand = False
        return self.fetch(uri)

    def members(self, uri: str | None, expect: str = "") -> Iterable[tuple[str, dict[str, Any]]]:
        if not uri:
            return
        coll = self.collection(uri)
        if coll is None:
            return
        links = coll.get("Members")
        if not isinstance(links, list):
            self.problems.append(f"{uri}: not a collection (no Members list); skipped")
            return
        if len(links) > MAX_MEMBERS:
            self.problems.append(f"{uri}: {len(links)} members; reading the first {MAX_MEMBERS}")
        for ref in links[:MAX_MEMBERS]:
            member = ref.get("@odata.id") if isinstance(ref, dict) else None
            if not isinstance(member, str):
                self.problems.append(f"{uri}: a member without @odata.id; skipped")
                continue
            # An expanded member carries its properties; a plain one is only the link.
            inline = any(not k.startswith("@odata") for k in ref)
            doc = self.checked(member, ref, expect) if inline else self.fetch(member, expect)
            if doc is not None:
                yield member, doc

    # -- emitting ------------------------------------------------------------------------------

    def add(
        self,
        metric: str,
        channel: str,
        value: float,
        where: str,
        *,
        klass: str = "part",
        role: str | None = None,
        raw: str = "",
        source: str = "",
        sensor: bool = False,
        ident: str = "",
        limits: dict[str, float] | None = None,
    ) -> None:
        lim = self._checked(limits or {}, where)
        reading = Reading(
            metric=metric,
            channel=f"{self.prefix}{channel}".strip(),
            value=value,
            unit=METRIC_UNITS[metric],
            role=role if metric == "temperature_c" else None,
            oid=where,
            raw=raw or f"{value:g}",
            channel_class=klass,
            warn_low=lim.get("warn_low"),
            warn_high=lim.get("warn_high"),
            crit_low=lim.get("crit_low"),
            crit_high=lim.get("crit_high"),
        )
        self.items.append(_Item(reading, source, sensor, ident))

    def _checked(self, limits: dict[str, float], where: str) -> dict[str, float]:
        """Drop a device limit pair that is inverted (critical inside caution)."""
        out = dict(limits)
        for caution, critical, upper in (
            ("warn_high", "crit_high", True),
            ("warn_low", "crit_low", False),
        ):
            w, c = out.get(caution), out.get(critical)
            if w is not None and c is not None and (c < w if upper else c > w):
                side = "Upper" if upper else "Lower"
                self.problems.append(
                    f"{where}: device thresholds inverted ({side}Critical {c:g} is "
                    f"{'below' if upper else 'above'} {side}Caution {w:g}); both ignored"
                )
                out.pop(caution)
                out.pop(critical)
        return out

    def excerpt(
        self,
        doc: dict[str, Any],
        key: str,
        metric: str,
        channel: str,
        where: str,
        *,
        klass: str = "part",
        role: str | None = None,
        power_extras: bool = False,
    ) -> None:
        """A property such as {"Reading": 374, "DataSourceUri": ...} inside a resource."""
        part = doc.get(key)
        if not isinstance(part, dict):
            return
        value = _number(part.get("Reading"))
        at = f"{where}/{key}" if "#" in where else f"{where}#/{key}"
        if value is None:
            if part.get("Reading") is not None:
                self.problems.append(f"{at}: Reading {part.get('Reading')!r} is not a number")
            return
        source = str(part.get("DataSourceUri") or "")
        self.add(metric, channel, value, at, klass=klass, role=role, source=source)
        if power_extras:
            va = _number(part.get("ApparentVA"))
            pf = _number(part.get("PowerFactor"))
            if va is not None:
                self.add("apparent_power_va", channel, va, f"{at}/ApparentVA", klass=klass)
            if pf is not None and 0 <= pf <= 1:
                self.add("power_factor", channel, pf, f"{at}/PowerFactor", klass=klass)

    # -- chassis ---------------------------------------------------------------------------------

    def chassis(self, uri: str, doc: dict[str, Any]) -> None:
        power_sub = _link(doc, "PowerSubsystem")
        thermal_sub = _link(doc, "ThermalSubsystem")
        env = _link(doc, "EnvironmentMetrics")
        sensors = _link(doc, "Sensors")
        current = self.resources in ("auto", "current", "all")
        if current:
            if env:
                self.environment(env)
            if power_sub:
                self.power_subsystem(power_sub)
            if thermal_sub:
                self.thermal_subsystem(thermal_sub)
            if sensors:
                self.sensors(sensors)
        legacy_power = _link(doc, "Power")
        legacy_thermal = _link(doc, "Thermal")
        # Legacy resources repeat what the current ones say; read them only where nothing
        # current covers that side of the chassis (older firmware), unless asked for.
        want_power = self.resources in ("legacy", "all") or (
            self.resources == "auto" and not (power_sub or env or sensors)
        )
        want_thermal = self.resources in ("legacy", "all") or (
            self.resources == "auto" and not (thermal_sub or sensors)
        )
        if legacy_power and want_power:
            self.legacy_power(legacy_power)
        if legacy_thermal and want_thermal:
            self.legacy_thermal(legacy_thermal)

    def environment(self, uri: str) -> None:
        doc = self.fetch(uri, "EnvironmentMetrics")
        if doc is None:
            return
        self.excerpt(doc, "PowerWatts", "power_w", "Total", uri, klass="total", power_extras=True)
        self.excerpt(doc, "EnergykWh", "energy_kwh", "Total", uri, klass="total")
        self.excerpt(doc, "TemperatureCelsius", "temperature_c", "Chassis", uri, role="board")
        self.excerpt(doc, "HumidityPercent", "humidity_pct", "Chassis", uri)

    def power_subsystem(self, uri: str) -> None:
        doc = self.fetch(uri, "PowerSubsystem")
        if doc is None:
            return
        for psu_uri, psu in self.members(_link(doc, "PowerSupplies"), "PowerSupply"):
            ident = str(psu.get("Id") or psu_uri.rsplit("/", 1)[-1])
            name = ident if ident.upper().startswith("PS") else f"PSU {ident}"
            if _state(psu) == "Absent":
                continue
            metrics_uri = _link(psu, "Metrics")
            if not metrics_uri:
                continue
            m = self.fetch(metrics_uri, "PowerSupplyMetrics")
            if m is None:
                continue
            self.excerpt(m, "InputPowerWatts", "power_w", f"{name} input", metrics_uri)
            self.excerpt(m, "OutputPowerWatts", "power_w", f"{name} output", metrics_uri)
            self.excerpt(m, "InputVoltage", "voltage_v", f"{name} input", metrics_uri)
            self.excerpt(m, "InputCurrentAmps", "current_a", f"{name} input", metrics_uri)
            self.excerpt(m, "EnergykWh", "energy_kwh", name, metrics_uri)
            self.excerpt(m, "FrequencyHz", "frequency_hz", name, metrics_uri)
            self.excerpt(m, "TemperatureCelsius", "temperature_c", name, metrics_uri, role="psu")
            rails = _list(psu, "OutputRails")
            for key, metric in (
                ("RailVoltage", "voltage_v"),
                ("RailCurrentAmps", "current_a"),
                ("RailPowerWatts", "power_w"),
            ):
                values = m.get(key)
                if not isinstance(values, list):
                    continue
                for i, part in enumerate(values[:16]):
                    nominal = rails[i].get("NominalVoltage") if i < len(rails) else None
                    label = f"{nominal:g}V" if _number(nominal) is not None else str(i + 1)
                    self.excerpt(
                        {str(i): part}, str(i), metric, f"{name} rail {label}",
                        f"{metrics_uri}#/{key}",
                    )  # fmt: skip

    def thermal_subsystem(self, uri: str) -> None:
        doc = self.fetch(uri, "ThermalSubsystem")
        if doc is None:
            return
        metrics_uri = _link(doc, "ThermalMetrics")
        tm = self.fetch(metrics_uri, "ThermalMetrics") if metrics_uri else None
        if tm is not None and metrics_uri:
            summary = tm.get("TemperatureSummaryCelsius")
            seen: set[str] = set()
            if isinstance(summary, dict):
                for key, role in (
                    ("Intake", "inlet"),
                    ("Exhaust", "outlet"),
                    ("Ambient", "ambient"),
                    ("Internal", "board"),
                ):
                    part = summary.get(key)
                    if isinstance(part, dict):
                        seen.add(str(part.get("DataSourceUri") or key))
                    self.excerpt(
                        summary,
                        key,
                        "temperature_c",
                        key,
                        f"{metrics_uri}#/TemperatureSummaryCelsius",
                        role=role,
                    )
            temps = tm.get("TemperatureReadingsCelsius")
            for i, part in enumerate(temps[:MAX_MEMBERS] if isinstance(temps, list) else []):
                if not isinstance(part, dict):
                    continue
                name = str(part.get("DeviceName") or f"Temperature {i + 1}")
                if str(part.get("DataSourceUri") or name) in seen:
                    continue  # the same sensor as a summary entry
                ctx = str(part.get("PhysicalContext") or "")
                self.excerpt(
                    {str(i): part},
                    str(i),
                    "temperature_c",
                    name,
                    f"{metrics_uri}#/TemperatureReadingsCelsius",
                    role=temp_role(ctx, name),
                )
        for fan_uri, fan in self.members(_link(doc, "Fans"), "Fan"):
            speed = fan.get("SpeedPercent")
            rpm = _number(speed.get("SpeedRPM")) if isinstance(speed, dict) else None
            if rpm is not None and _state(fan) != "Absent":
                name = f"Fan {fan.get('Id') or fan_uri.rsplit('/', 1)[-1]}"
                source = str(speed.get("DataSourceUri") or "") if isinstance(speed, dict) else ""
                self.add("fan_rpm", name, rpm, f"{fan_uri}#/SpeedPercent/SpeedRPM", source=source)

    def sensors(self, uri: str) -> None:
        for sensor_uri, doc in self.members(uri, "Sensor"):
            self.sensor(sensor_uri, doc)

    def sensor(self, uri: str, doc: dict[str, Any]) -> None:
        name = str(doc.get("Name") or doc.get("Id") or uri.rsplit("/", 1)[-1])
        state = _state(doc)
        if state in ("Absent", "Disabled", "UnavailableOffline", "StandbyOffline"):
            return
        units = str(doc.get("ReadingUnits") or "")
        context = str(doc.get("PhysicalContext") or "")
        rtype = str(doc.get("ReadingType") or "") or _UNIT_TYPES.get(units, "")
        rpm = _number(doc.get("SpeedRPM"))
        if rtype == "Percent" and rpm is not None:
            # A fan sensor in percent also carries its speed; RackWatch keeps fans in RPM.
            rtype, units, raw_value = "Rotational", "RPM", doc.get("SpeedRPM")
        else:
            raw_value = doc.get("Reading")
        spec = _TYPES.get(rtype)
        if spec is None:
            return  # a quantity RackWatch has no metric for (percent, pressure, ...)
        metric, factors = spec
        if "Reading" not in doc and rpm is None:
            if state == "Enabled":
                self.problems.append(f"{uri}: enabled {rtype} sensor has no Reading; skipped")
            return
        value = _number(raw_value)
        if value is None:
            if raw_value is not None:
                self.problems.append(f"{uri}: Reading {raw_value!r} is not a number; skipped")
            return
        convert = self._converter(rtype, units, factors, uri)
        if convert is None:
            return
        limits: dict[str, float] = {}
        thresholds = doc.get("Thresholds")
        if isinstance(thresholds, dict) and rtype != "Rotational":
            for key, attr in _SENSOR_LIMITS:
                entry = thresholds.get(key) or thresholds.get(f"{key}User")
                limit = _number(entry.get("Reading")) if isinstance(entry, dict) else None
                if limit is not None:
                    limits[attr] = convert(limit)
        electrical = str(doc.get("ElectricalContext") or "")
        self.add(
            metric,
            name,
            convert(value),
            uri,
            klass=_sensor_class(context, electrical),
            role=temp_role(context, name, str(doc.get("Id") or "")),
            raw=f"{raw_value} {units}".strip(),
            source=uri,
            sensor=True,
            ident=uri.rsplit("/", 1)[-1],  # not Id: copied sensor files repeat another's Id
            limits=limits,
        )

    def _converter(
        self, rtype: str, units: str, factors: dict[str, float], uri: str
    ) -> Callable[[float], float] | None:
        if rtype == "Temperature" and units in ("[degF]", "F", "°F"):
            return lambda f: (f - 32.0) * 5.0 / 9.0
        odd = _ODD_UNITS.get((rtype, units))
        if odd:
            self.problems.append(f"{uri}: ReadingUnits {units!r} {odd}")
            return lambda v: v
        factor = factors.get(units)
        if factor is None:
            self.problems.append(f"{uri}: unit {units!r} is not known for {rtype}; skipped")
            return None
        return lambda v: v * factor

    # -- legacy Power and Thermal ----------------------------------------------------------

    def legacy_power(self, uri: str) -> None:
        doc = self.fetch(uri, "Power")
        if doc is None:
            return
        controls = _list(doc, "PowerControl")
        for i, pc in enumerate(controls):
            value = _number(pc.get("PowerConsumedWatts"))
            if value is not None:
                label = "Total" if len(controls) == 1 else str(pc.get("Name") or f"Control {i}")
                where = f"{uri}#/PowerControl/{i}/PowerConsumedWatts"
                self.add("power_w", label, value, where, klass="total")
        for i, v in enumerate(_list(doc, "Voltages")):
            value = _number(v.get("ReadingVolts"))
            if value is not None and _state(v) != "Absent":
                self.add(
                    "voltage_v",
                    str(v.get("Name") or f"Voltage {i}"),
                    value,
                    f"{uri}#/Voltages/{i}/ReadingVolts",
                    limits=_legacy_limits(v),
                )
        for i, ps in enumerate(_list(doc, "PowerSupplies")):
            if _state(ps) == "Absent":
                continue
            name = str(ps.get("Name") or f"PSU {i}")
            for key, metric, label in (
                ("PowerInputWatts", "power_w", "input"),
                ("LastPowerOutputWatts", "power_w", "output"),
                ("LineInputVoltage", "voltage_v", "input"),
            ):
                value = _number(ps.get(key))
                if value is not None:
                    where = f"{uri}#/PowerSupplies/{i}/{key}"
                    self.add(metric, f"{name} {label}", value, where)

    def legacy_thermal(self, uri: str) -> None:
        doc = self.fetch(uri, "Thermal")
        if doc is None:
            return
        for i, t in enumerate(_list(doc, "Temperatures")):
            name = str(t.get("Name") or f"Temperature {i}")
            value = _number(t.get("ReadingCelsius"))
            if value is None:
                if _state(t) == "Enabled":
                    self.problems.append(f"{uri}#/Temperatures/{i}: {name} has no ReadingCelsius")
                continue
            self.add(
                "temperature_c",
                name,
                value,
                f"{uri}#/Temperatures/{i}/ReadingCelsius",
                role=temp_role(str(t.get("PhysicalContext") or ""), name),
                limits=_legacy_limits(t),
            )
        for i, fan in enumerate(_list(doc, "Fans")):
            name = str(fan.get("Name") or fan.get("FanName") or f"Fan {i}")
            value = _number(fan.get("Reading"))
            units = str(fan.get("ReadingUnits") or "RPM")
            if value is not None and units == "RPM":
                self.add("fan_rpm", name, value, f"{uri}#/Fans/{i}/Reading")

    # -- PowerEquipment --------------------------------------------------------------------

    def power_equipment(self, root: dict[str, Any]) -> list[dict[str, Any]]:
        uri = _link(root, "PowerEquipment")
        if not uri:
            return []
        eq = self.fetch(uri, "PowerEquipment")
        if eq is None:
            return []
        units: list[tuple[str, dict[str, Any]]] = []
        for key in ("RackPDUs", "PowerShelves"):
            units += list(self.members(_link(eq, key), "PowerDistribution"))
        for pdu_uri, pdu in units:
            self.prefix = (
                f"{pdu.get('Id') or pdu_uri.rsplit('/', 1)[-1]} " if len(units) > 1 else ""
            )
            self.distribution(pdu_uri, pdu)
        self.prefix = ""
        return [pdu for _, pdu in units]

    def distribution(self, uri: str, pdu: dict[str, Any]) -> None:
        metrics_uri = _link(pdu, "Metrics")
        m = self.fetch(metrics_uri, "PowerDistributionMetrics") if metrics_uri else None
        if m is not None and metrics_uri:
            self.excerpt(m, "PowerWatts", "power_w", "Total", metrics_uri, klass="total",
                         power_extras=True)  # fmt: skip
            self.excerpt(m, "EnergykWh", "energy_kwh", "Total", metrics_uri, klass="total")
            self.excerpt(
                m, "TemperatureCelsius", "temperature_c", "PDU", metrics_uri, role="ambient"
            )
            self.excerpt(m, "HumidityPercent", "humidity_pct", "PDU", metrics_uri)
        for key, klass, label in (
            ("Mains", "total", ""),
            ("Branches", "branch", "branch "),
            ("Outlets", "outlet", "outlet "),
        ):
            for circuit_uri, circuit in self.members(_link(pdu, key)):
                self.circuit(circuit_uri, circuit, klass, label)

    def circuit(self, uri: str, doc: dict[str, Any], klass: str, label: str) -> None:
        name = f"{label}{doc.get('Id') or uri.rsplit('/', 1)[-1]}"
        plain: dict[str, dict[str, Any]] = {}
        for key, metric in (
            ("PowerWatts", "power_w"),
            ("Voltage", "voltage_v"),
            ("CurrentAmps", "current_a"),
            ("EnergykWh", "energy_kwh"),
            ("FrequencyHz", "frequency_hz"),
        ):
            part = doc.get(key)
            if isinstance(part, dict):
                plain[metric] = part
            extras = metric == "power_w"
            self.excerpt(doc, key, metric, name, uri, klass=klass, power_extras=extras)
        # Per-line values: phases of a mains or branch; an outlet's single line repeats its
        # plain values, so a line entry equal to the plain one is skipped.
        line_class = "phase" if klass == "total" else klass
        for key, metric in (
            ("PolyPhaseVoltage", "voltage_v"),
            ("PolyPhaseCurrentAmps", "current_a"),
            ("PolyPhasePowerWatts", "power_w"),
        ):
            lines = doc.get(key)
            if not isinstance(lines, dict):
                continue
            same = plain.get(metric)
            for line, part in lines.items():
                if line not in _LINES or not isinstance(part, dict):
                    continue
                if same is not None and (
                    part.get("DataSourceUri") == same.get("DataSourceUri")
                    or part.get("Reading") == same.get("Reading")
                ):
                    continue
                self.excerpt(
                    lines,
                    line,
                    metric,
                    f"{name} {_LINES[line]}",
                    f"{uri}#/{key}",
                    klass=line_class,
                    power_extras=metric == "power_w",
                )

    # -- finishing -------------------------------------------------------------------------

    def merged(self) -> list[Reading]:
        """Excerpts first; a sensor an excerpt names as its source lends it its limits and is
        not repeated. When the two disagree both are kept, and one problem says so."""
        sensors = {i.source: i for i in self.items if i.sensor}
        absorbed: set[int] = set()
        out: list[tuple[Reading, str]] = []
        disagree: list[str] = []
        for item in self.items:
            if item.sensor:
                continue
            reading = item.reading
            src = sensors.get(item.source) if item.source else None
            if src is not None and src.reading.metric == reading.metric:
                sv, ev = src.reading.value, reading.value
                if abs(sv - ev) <= AGREE * max(abs(sv), abs(ev), 1e-9):
                    absorbed.add(id(src))
                    limits = {
                        k: getattr(src.reading, k)
                        for k in ("warn_low", "warn_high", "crit_low", "crit_high")
                        if getattr(reading, k) is None
                    }
                    reading = dataclasses.replace(reading, **limits)
                else:
                    disagree.append(f"{reading.oid} = {ev:g} but {item.source} = {sv:g}")
            out.append((reading, ""))
        if disagree:
            self.problems.append(
                f"{len(disagree)} values disagree with the sensor they name as their source "
                f"(both kept), e.g. {'; '.join(disagree[:3])}"
            )
        out += [(i.reading, i.ident) for i in self.items if i.sensor and id(i) not in absorbed]
        count: dict[tuple[str, str], int] = {}
        for reading, _ in out:
            key = (reading.metric, reading.channel)
            count[key] = count.get(key, 0) + 1
        unique: list[Reading] = []
        seen: dict[tuple[str, str], int] = {}
        for reading, ident in out:
            key = (reading.metric, reading.channel)
            n = seen[key] = seen.get(key, 0) + 1
            if count[key] > 1 and (n > 1 or ident):  # one label, several resources
                tag = ident if ident else str(n)
                reading = dataclasses.replace(reading, channel=f"{reading.channel} ({tag})")
            unique.append(reading)
        return unique


def _list(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = doc.get(key)
    return (
        [v for v in value[:MAX_MEMBERS] if isinstance(v, dict)] if isinstance(value, list) else []
    )


def _legacy_limits(doc: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, attr in _LEGACY_LIMITS:
        value = _number(doc.get(key))
        if value is not None:
            out[attr] = value
    return out


def _sensor_class(context: str, electrical: str) -> str:
    if electrical == "Total" and context in ("Chassis", "ACInput", "Rack", ""):
        return "total"  # the whole unit, not the total of one of its PSUs or batteries
    if context == "PowerOutlet":
        return "outlet"
    if electrical.startswith(("Line", "Neutral")) and context in ("ACInput", ""):
        return "phase"
    if context == "ACOutput":
        return "branch"
    return "part"


def read_service(
    get: Getter,
    resources: Resources = "auto",
    budget_s: float | None = None,
    expand: bool | None = None,
) -> ReadOutcome:
    """Read every power and thermal value a Redfish service offers.

    get(uri) returns one resource (RedfishNotFound for 404); auth, TLS and connection errors
    propagate, anything wrong inside one resource becomes a problem and the walk goes on.
    budget_s bounds the whole walk (RedfishError 'unreachable' when it runs out). Collections
    are read with $expand when the service root offers it (expand None) or expand is True;
    outcome.expand says whether that worked, for the next poll.
    """
    walk = _Walk(get, resources, budget_s, expand is not False)
    root = walk.fetch(SERVICE_ROOT)
    if root is None:
        raise RedfishError("protocol", f"{SERVICE_ROOT}: the service root cannot be read")
    features = root.get("ProtocolFeaturesSupported")
    query = features.get("ExpandQuery") if isinstance(features, dict) else None
    if expand is None:
        walk.expand = isinstance(query, dict) and query.get("Levels") is True
    chassis = list(walk.members(_link(root, "Chassis"), "Chassis"))
    for n, (uri, doc) in enumerate(chassis):
        walk.prefix = f"{doc.get('Id') or n} " if len(chassis) > 1 else ""
        walk.chassis(uri, doc)
    walk.prefix = ""
    pdus = walk.power_equipment(root)
    readings = walk.merged()
    ident = pdus[0] if pdus else chassis[0][1] if chassis else {}
    maker = " ".join(str(ident.get(k) or "") for k in ("Manufacturer", "Model")).strip()
    version = str(root.get("RedfishVersion") or "?")
    identity = DeviceIdentity(
        sys_object_id=str(root.get("UUID") or ""),
        sys_descr=f"{maker or 'unknown model'} (Redfish {version})",
        sys_name=str(ident.get("Name") or root.get("Name") or ""),
    )
    return ReadOutcome(readings, walk.problems, identity, walk.requests, walk.expand)
