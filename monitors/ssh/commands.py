"""The fixed remote command an SSH poll runs, and the marker lines that split its output."""

from __future__ import annotations

from collections.abc import Mapping

# Every poll runs exactly POLL_COMMAND, built from the constants below and nothing else: no
# inventory value (host name, label, path) ever reaches a remote shell.
#
# Output layout (what a simulated server must print to look like a real one):
#
#   @@rackwatch:ipmi-sdr          <- then the output of `ipmitool sdr elist` (stderr merged)
#   @@rackwatch:dcmi              <- `ipmitool dcmi power reading`
#   @@rackwatch:sensors           <- `sensors -j` (lm-sensors JSON)
#   @@rackwatch:hwmon             <- HWMON_SNIPPET lines: hwmon|<dir>|<chip>|<file>|<value>|<label>
#   @@rackwatch:thermal           <- THERMAL_SNIPPET lines: thermal|<zone>|<type>|<millidegrees>
#   @@rackwatch:end
#
# A section whose tool is not installed holds the single line ABSENT. Unknown sections are
# ignored by the parsers, so the command can grow without breaking older collectors.
# `ipmitool sensor` output is accepted in the ipmi-sdr section as well (the parser tells the
# two formats apart by their column count), for hosts or simulators that print that instead.

MARKER_PREFIX = "@@rackwatch:"
ABSENT = "@@rackwatch-absent"

SECTION_IPMI = "ipmi-sdr"
SECTION_DCMI = "dcmi"
SECTION_SENSORS = "sensors"
SECTION_HWMON = "hwmon"
SECTION_THERMAL = "thermal"
SECTION_END = "end"
SECTIONS = (SECTION_IPMI, SECTION_DCMI, SECTION_SENSORS, SECTION_HWMON, SECTION_THERMAL)

# The sysfs root is /sys unless the remote account's own environment says otherwise
# (tests and the lab point it at a fake tree); it is never taken from the inventory.
SYSFS = "${RACKWATCH_SYSFS:-/sys}"

# Only shell builtins inside the loops (read, printf), so walking sysfs forks nothing.
HWMON_SNIPPET = (
    f"for d in {SYSFS}/class/hwmon/hwmon*; do "
    '[ -d "$d" ] || continue; '
    'n=""; [ -r "$d/name" ] && read -r n < "$d/name"; '
    'for f in "$d"/temp*_input "$d"/fan*_input "$d"/in*_input "$d"/curr*_input '
    '"$d"/power*_average "$d"/power*_input; do '
    '[ -r "$f" ] || continue; '
    'v=""; read -r v 2>/dev/null < "$f"; '
    'l=""; [ -r "${f%_*}_label" ] && read -r l < "${f%_*}_label"; '
    'printf "hwmon|%s|%s|%s|%s|%s\\n" "${d##*/}" "$n" "${f##*/}" "$v" "$l"; '
    "done; done"
)

THERMAL_SNIPPET = (
    f"for z in {SYSFS}/class/thermal/thermal_zone*; do "
    '[ -d "$z" ] || continue; '
    't=""; [ -r "$z/type" ] && read -r t < "$z/type"; '
    'v=""; read -r v 2>/dev/null < "$z/temp"; '
    'printf "thermal|%s|%s|%s\\n" "${z##*/}" "$t" "$v"; '
    "done"
)


def _tool(section: str, tool: str, invocation: str) -> str:
    return (
        f"echo {MARKER_PREFIX}{section}; "
        f"if command -v {tool} >/dev/null 2>&1; then {invocation} 2>&1; "
        f"else echo {ABSENT}; fi; "
    )


# Single quotes never appear inside SCRIPT, so it can be wrapped in '...' for any login shell.
_BODY = (
    "PATH=$PATH:/usr/sbin:/sbin; "
    + _tool(SECTION_IPMI, "ipmitool", "ipmitool sdr elist")
    + _tool(SECTION_DCMI, "ipmitool", "ipmitool dcmi power reading")
    + _tool(SECTION_SENSORS, "sensors", "sensors -j")
    + f"echo {MARKER_PREFIX}{SECTION_HWMON}; {HWMON_SNIPPET}; "
    + f"echo {MARKER_PREFIX}{SECTION_THERMAL}; {THERMAL_SNIPPET}; "
    + f"echo {MARKER_PREFIX}{SECTION_END}"
)
# Collected and written at once: each echo would otherwise be its own SSH data packet, and
# per-packet work (decrypt, MAC, thread hand-off) is most of the collector's cost per poll.
SCRIPT = f'o=$({_BODY}); printf "%s\\n" "$o"'

assert "'" not in SCRIPT

# sshd hands the command to the account's login shell; exec'ing /bin/sh makes the script run
# the same under bash, dash, zsh, csh or fish and costs no extra fork.
POLL_COMMAND = f"exec /bin/sh -c '{SCRIPT}'"


def render_output(sections: Mapping[str, str | None]) -> str:
    """What POLL_COMMAND prints for these section bodies (None: the tool is not installed).

    For simulators that answer POLL_COMMAND themselves instead of running a shell.
    """
    parts = []
    for name, body in sections.items():
        text = ABSENT if body is None else body.rstrip("\n")
        parts.append(f"{MARKER_PREFIX}{name}\n{text}\n" if text else f"{MARKER_PREFIX}{name}\n")
    parts.append(f"{MARKER_PREFIX}{SECTION_END}\n")
    return "".join(parts)


def split_sections(text: str) -> tuple[dict[str, str], list[str]]:
    """Split poll output into {section: body}; the list holds problems (e.g. a missing end)."""
    sections: dict[str, list[str]] = {}
    problems: list[str] = []
    current: list[str] | None = None
    seen_end = False
    for raw_line in text.splitlines():
        at = raw_line.find(MARKER_PREFIX)
        if at > 0:
            # A tool whose output lacks a final newline leaves the next marker mid-line.
            before, line = raw_line[:at], raw_line[at:]
            if current is not None:
                current.append(before)
        else:
            line = raw_line
        if line.startswith(MARKER_PREFIX):
            name = line[len(MARKER_PREFIX) :].strip()
            if name == SECTION_END:
                seen_end = True
                current = None
                continue
            current = sections.setdefault(name, [])
            continue
        if current is not None:
            current.append(line)
        elif line.strip() and not sections:
            # Text before the first marker: typically a login banner or shell complaint.
            problems.append(f"output before the first section: {_clip(line)}")
    if not seen_end:
        problems.append("output ended before the end marker (truncated or the command was cut)")
    return {name: "\n".join(lines) for name, lines in sections.items()}, problems[:5]


def is_absent(body: str) -> bool:
    return body.strip() == ABSENT


def _clip(text: str, limit: int = 120) -> str:
    text = text.strip()
    return repr(text[:limit] + "…") if len(text) > limit else repr(text)
